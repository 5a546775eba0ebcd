/**
 * Maintenance over every master: the index tools and `npx popoto check|clean --cluster` on a
 * private cluster count every instance exactly and repair on the node that holds the key (a
 * random node per SCAN would see one master's share).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, disconnect } from "../../src/index.js";
import { Author, Book } from "../fixtures/cli-models.js";
import { clusterClient, useCluster } from "../support/redis-cluster.js";

const cluster = useCluster();
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const COUNT = 1000;

const cli = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: ROOT, env: { ...process.env, REDIS_URL: "redis://127.0.0.1:1/0" }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });

interface CheckJson {
  ok: boolean;
  models: { model: string; instances: number; differences: { kind: string; index: string }[] }[];
}

beforeAll(async () => {
  await connect({ cluster: [...cluster.current.urls] });
  const author = await Author.create({ name: "Tolkien" });
  await Book.bulkCreate(Array.from({ length: COUNT }, (_, i) => ({ title: `b${i}`, author, pages: i })));
}, 120_000);
afterAll(async () => {
  await disconnect();
});

describe("maintenance on a cluster", () => {
  it("checkIndexes counts every instance, finds a planted stale entry, cleanIndexes removes it", async () => {
    expect((await Book.checkIndexes()).instances).toBe(COUNT);
    const raw = clusterClient(cluster.current.urls);
    await raw.sadd("$KeyF:{Book}:title:Ghost", "{Book}:Ghost");
    const report = await Book.checkIndexes();
    expect([report.instances, report.differences.map((d) => `${d.kind} ${d.index}`)]).toEqual([
      COUNT,
      ["stale $KeyF:{Book}:title:Ghost"],
    ]);
    expect((await Book.cleanIndexes()).purged).toBe(1);
    expect(await raw.exists("$KeyF:{Book}:title:Ghost")).toBe(0);
    expect((await Book.checkIndexes()).differences).toEqual([]);
    raw.disconnect();
  }, 60_000);

  it("npx popoto check --cluster: exact counts, exit 1 on a difference, clean repairs it", async () => {
    const target = ["--models", "test/fixtures/cli-models.ts", "--cluster", cluster.current.urls.join(",")];
    const ok = await cli("check", ...target, "--json");
    expect([ok.code, ok.stderr]).toEqual([0, ""]);
    const counts = (JSON.parse(ok.stdout) as CheckJson).models.map((m) => [m.model, m.instances]);
    expect(counts).toEqual(
      expect.arrayContaining([
        ["Book", COUNT],
        ["Author", 1],
      ]),
    );
    const raw = clusterClient(cluster.current.urls);
    await raw.zrem("$SortF:{Book}:pages", "{Book}:b7");
    const found = await cli("check", ...target, "--json", "--model", "Book");
    expect(found.code).toBe(1);
    expect((JSON.parse(found.stdout) as CheckJson).models[0]?.differences.map((d) => d.kind)).toEqual([
      "missing",
    ]);
    expect((await cli("rebuild", ...target, "--model", "Book")).code).toBe(0);
    expect(await raw.zscore("$SortF:{Book}:pages", "{Book}:b7")).toBe("7");
    raw.disconnect();
  }, 180_000);

  it("--url and --cluster together is a usage error", async () => {
    const run = await cli("check", "--models", "x.js", "--url", "redis://a:1", "--cluster", "redis://b:2");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("not both");
  }, 60_000);
});
