import { defineConfig } from "vitest/config";
import { clusterExcludedFiles } from "./test/support/cluster-skips.js";

// POPOTO_TEST_CLUSTER=1 runs the suites on a private Redis Cluster (test/support/redis.ts).
const onCluster = process.env["POPOTO_TEST_CLUSTER"] === "1";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // Integration suites share one Redis database, so files run one after another.
    fileParallelism: false,
    typecheck: { enabled: true, include: ["test/types/**/*.test-d.ts"], tsconfig: "./tsconfig.json" },
    // Generous: child processes (tsx start-up) are slow on a loaded two-core machine; no test asserts on time.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    ...(onCluster
      ? {
          globalSetup: ["test/support/cluster-global-setup.ts"],
          setupFiles: ["test/support/cluster-equality.ts"],
          // test/cluster/ starts clusters of its own; it runs in the standalone pass. The files that
          // never reach the shared cluster are listed, with reasons, in test/support/cluster-skips.ts.
          exclude: ["test/cluster/**", "node_modules/**", ...clusterExcludedFiles()],
        }
      : {}),
  },
});
