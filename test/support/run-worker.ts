/**
 * Runs a test worker (a TypeScript file under test/support) in a process of its own, with its own
 * Redis connection, and resolves to the JSON of the last line it prints.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export const runWorker = <T>(worker: string, args: readonly string[], label: string): Promise<T> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code !== 0 || line === "") reject(new Error(`worker ${label} exited ${code}: ${err}`));
      else resolve(JSON.parse(line) as T);
    });
  });
