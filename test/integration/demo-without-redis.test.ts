/**
 * `npm run demo` where nothing answers at the Redis URL: with redis-server on the PATH it starts a
 * throwaway server on a free loopback port, says so, runs and stops it; without one it prints one
 * line on how to get Redis and exits 1, with no stack trace.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { freePort } from "../support/redis-server.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const runDemo = (env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "examples/demo.ts"], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, out, err }));
  });

const answers = async (port: number): Promise<boolean> => {
  const client = new Redis(port, "127.0.0.1", {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
};

describe("the demo without Redis", () => {
  it("starts a throwaway redis-server when one is installed, runs, and stops it", async () => {
    const nothing = await freePort();
    const result = await runDemo({ REDIS_URL: `redis://127.0.0.1:${nothing}` });
    expect(result.code, result.err).toBe(0);
    const started = /started a throwaway redis-server on 127\.0\.0\.1:(\d+)/.exec(result.out);
    expect(started, result.out).not.toBeNull();
    expect(result.out).toContain("The Hobbit");
    expect(await answers(Number(started?.[1]))).toBe(false);
  }, 120_000);

  it("without redis-server on the PATH: one line saying how to get Redis, status 1, no stack", async () => {
    const nothing = await freePort();
    const result = await runDemo({ REDIS_URL: `redis://127.0.0.1:${nothing}`, PATH: "/nonexistent" });
    expect(result.code).toBe(1);
    expect(result.err.trim().split("\n")).toHaveLength(1);
    expect(result.err).toMatch(
      /nothing answers at redis:\/\/127\.0\.0\.1:\d+ and redis-server is not installed/,
    );
    expect(result.err).toMatch(/docker run/);
    expect(result.err).not.toMatch(/\n\s+at /);
    expect(result.out).toBe("");
  }, 120_000);
});
