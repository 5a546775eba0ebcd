/**
 * vitest globalSetup for `POPOTO_TEST_CLUSTER=1`: one private cluster (3 masters + 3 replicas) for
 * the whole run, its node URLs handed to the test files with `inject("clusterUrls")`, stopped by
 * pid when the run ends.
 */
import type { TestProject } from "vitest/node";
import { CLUSTER_EXCLUDED } from "./cluster-skips.js";
import { startCluster, type PrivateCluster } from "./redis-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    clusterUrls: readonly string[];
  }
}

let cluster: PrivateCluster | undefined;

export async function setup(project: TestProject): Promise<void> {
  // The log says what this pass leaves out, and why (single skipped tests show their own note).
  for (const group of CLUSTER_EXCLUDED)
    console.log(`not on the cluster: ${group.files.join(", ")}\n  because: ${group.reason}`);
  cluster = await startCluster();
  project.provide("clusterUrls", cluster.urls);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
