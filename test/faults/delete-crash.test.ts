/**
 * A client killed in the middle of a delete sequence (SIGKILL between two steps, in a process of
 * its own): the journal stays, nothing points at a deleted instance, and `npx popoto repair`
 * finishes the delete. On the cluster too (`npm run test:cluster`): the worker and the CLI are
 * given the cluster's nodes.
 */
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { createLibrary, DlAuthor, DlBook, DlChapter } from "../fixtures/delete-models.js";
import { allKeys, clusterUrls, ON_CLUSTER, raw, TEST_URL, useRedis } from "../support/redis.js";

useRedis();

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** How a child process ended: its exit code, or the signal that killed it. */
const ended = (
  file: string,
  args: readonly string[],
): Promise<{ code: number | null; signal: string | null }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file, ...args], { cwd: ROOT, stdio: "ignore" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });

const target = (): string[] => (ON_CLUSTER ? ["--cluster", clusterUrls().join(",")] : ["--url", TEST_URL]);

const cli = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, env: { ...process.env, REDIS_URL: TEST_URL }, timeout: 90_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });

it("a client killed between steps: journal kept, nothing dangling, `popoto repair` finishes the delete", async () => {
  await createLibrary("k", 200);
  await createLibrary("other", 2);
  const connection = ON_CLUSTER ? `cluster:${clusterUrls().join(",")}` : TEST_URL;
  // Steps of at most 50 keys; killed just before the fourth is sent.
  const run = await ended("test/support/delete-crash-worker.ts", [connection, "k", "3", "50"]);
  expect(run).toEqual({ code: null, signal: "SIGKILL" });
  expect(await raw.hget("$DeleteJournal:DlAuthor:DlAuthor:k", "phase")).toBe("steps");
  expect(await raw.exists("DlAuthor:k")).toBe(1);
  const chapters = await raw.scard("$Class:DlChapter");
  expect(chapters).toBeGreaterThan(2);
  expect(chapters).toBeLessThan(202);
  // Every chapter left still has its book (deepest first).
  for (const key of await raw.smembers("$Class:DlChapter")) {
    const chapter = await DlChapter.load(key);
    expect(await chapter?.book?.load()).toBeInstanceOf(DlBook);
  }

  const repaired = await cli("repair", "--models", "test/fixtures/delete-models.ts", "--json", ...target());
  expect(repaired.stderr).toBe("");
  expect(repaired.code).toBe(0);
  const json = JSON.parse(repaired.stdout) as { models: { model: string; resumed: string[] }[] };
  expect(json.models.find((m) => m.model === "DlAuthor")?.resumed).toEqual(["DlAuthor:k"]);
  expect(
    (await allKeys()).filter((k) => k.includes(":k") || k.includes("k_b") || k.startsWith("$DeleteJournal")),
  ).toEqual([]);
  expect(await raw.scard("$Class:DlBook")).toBe(2);
  for (const model of [DlAuthor, DlBook, DlChapter])
    expect((await model.checkIndexes()).differences).toEqual([]);

  const again = await cli("repair", "--models", "test/fixtures/delete-models.ts", ...target());
  expect(again.code).toBe(0);
  expect(again.stdout).toContain("No interrupted delete.");
});
