/**
 * Test support: the operator CLI (src/cli/main.ts) run as a child process under tsx, as a user
 * runs it, against the test database (REDIS_URL points there too, so a run without --url can only
 * reach it).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TEST_URL } from "./redis.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx src/cli/main.ts …args` from the repository root. */
export const cli = (...args: string[]): Promise<CliRun> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, env: { ...process.env, REDIS_URL: TEST_URL }, timeout: 120_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });

/** `popoto <command> --models <models> --url <test db> …extra`. */
export const popotoCli =
  (models: string) =>
  (command: string, ...extra: string[]): Promise<CliRun> =>
    cli(command, "--models", models, "--url", TEST_URL, ...extra);
