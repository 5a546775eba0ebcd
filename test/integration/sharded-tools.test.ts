/**
 * The index tools (check / clean / rebuild, library and CLI) on a sharded model: they walk every
 * bucket (docs/storage.md §7a), report a damaged bucket's differences as for an unsharded model,
 * and repair them bucket by bucket.
 */
import { describe, expect, it } from "vitest";
import { exportInstances, importInstances, IndexedField, KeyField, Model } from "../../src/index.js";
import { bucketOfText, bucketTag } from "../../src/keys/shards.js";
import { TlEvent, TlHost } from "../fixtures/sharded-models.js";
import { cli } from "../support/cli.js";
import { clusterUrls, ON_CLUSTER, raw, TEST_URL, useRedis } from "../support/redis.js";

useRedis();

const K = 6;
const tagOf = (id: string): string => bucketTag("TlEvent", bucketOfText(id, K), K);
const keyOf = (id: string): string => `${tagOf(id)}:${id}`;

/** Two ids in different buckets. */
const twoBuckets = (): [string, string] => {
  const first = "e0";
  for (let i = 1; ; i++) if (bucketOfText(`e${i}`, K) !== bucketOfText(first, K)) return [first, `e${i}`];
};

async function events(count: number): Promise<void> {
  const host = await TlHost.create({ name: "h1" });
  for (let i = 0; i < count; i++)
    await TlEvent.create({ id: `e${i}`, kind: i % 2 === 0 ? "click" : "view", at: i, host });
}

/** Breaks four buckets' indexes: a stale instance, a wrong score, a missing entry, an entry naming another bucket's instance. */
async function damage(): Promise<{ a: string; b: string }> {
  const [a, b] = twoBuckets();
  await raw.sadd(`$KeyF:${tagOf("ghost")}:id:ghost`, keyOf("ghost"));
  await raw.sadd(`$Class:${tagOf("ghost")}`, keyOf("ghost"));
  await raw.zadd(`$SortF:${tagOf("e3")}:at`, 99, keyOf("e3"));
  await raw.srem(`$IndexF:${tagOf(a)}:kind:click`, keyOf(a));
  await raw.sadd(`$IndexF:${tagOf(a)}:kind:view`, keyOf(b));
  return { a, b };
}

const summary = (report: Awaited<ReturnType<typeof TlEvent.checkIndexes>>): string[] =>
  report.differences.map((d) => `${d.kind} ${d.index} ${d.member}`).sort();

describe("index tools on a sharded model", () => {
  it("check reads every bucket and reports nothing for indexes popoto wrote", async () => {
    await events(30);
    const report = await TlEvent.checkIndexes({ batchSize: 7 });
    expect(report.model).toBe("TlEvent");
    expect(report.instances).toBe(30);
    expect(report.differences).toEqual([]);
    expect(report.counts).toEqual({ missing: 0, stale: 0, score: 0, corrupt: 0, misplaced: 0, wrongType: 0 });
    // every bucket's class set, value sets and sorted set
    expect(report.indexKeys).toBeGreaterThanOrEqual(6 * 3);
  });

  it("finds a damaged bucket's differences, and clean / rebuild repair them", async () => {
    await events(30);
    const { a, b } = await damage();
    const report = await TlEvent.checkIndexes({ batchSize: 7 });
    expect(summary(report)).toEqual(
      [
        `missing $IndexF:${tagOf(a)}:kind:click ${keyOf(a)}`,
        `score $SortF:${tagOf("e3")}:at ${keyOf("e3")}`,
        `stale $Class:${tagOf("ghost")} ${keyOf("ghost")}`,
        `stale $KeyF:${tagOf("ghost")}:id:ghost ${keyOf("ghost")}`,
        `stale $IndexF:${tagOf(a)}:kind:view ${keyOf(b)}`,
      ].sort(),
    );
    const cleaned = await TlEvent.cleanIndexes({ batchSize: 7 });
    expect(cleaned).toMatchObject({ added: 0, purged: 1, unresolved: 0 });
    // the score, the foreign entry, and the ghost's entries (counted once when its purge removes
    // the second before a later SCAN step reaches it)
    expect(cleaned.removed).toBeGreaterThanOrEqual(3);
    expect(await raw.zscore(`$SortF:${tagOf("e3")}:at`, keyOf("e3"))).toBe("3");
    expect(await raw.sismember(`$IndexF:${tagOf(a)}:kind:view`, keyOf(b))).toBe(0);
    expect(await raw.sismember(`$IndexF:${tagOf(b)}:kind:view`, keyOf(b))).toBe(1);
    expect(summary(await TlEvent.checkIndexes())).toEqual([
      `missing $IndexF:${tagOf(a)}:kind:click ${keyOf(a)}`,
    ]);
    const rebuilt = await TlEvent.rebuildIndexes({ batchSize: 7 });
    expect(rebuilt).toMatchObject({ added: 1, removed: 0, unresolved: 0 });
    expect((await TlEvent.checkIndexes()).differences).toEqual([]);
    expect(await TlEvent.query.filter({ kind: "click" }).count()).toBe(15);
  });

  it("finds what an expired instance of a sharded model left in its bucket, ttl shadow too", async () => {
    class TlSession extends Model(
      "TlSession",
      { id: KeyField(), user: IndexedField() },
      { ttl: 60, shards: 4 },
    ) {}
    await TlSession.create({ id: "s1", user: "ann" });
    await TlSession.create({ id: "s2", user: "bob" });
    const tag = bucketTag("TlSession", bucketOfText("s1", 4), 4);
    await raw.del(`${tag}:s1`); // as if it expired
    const report = await TlSession.checkIndexes();
    expect(report.differences.map((d) => d.index)).toContain(`$IndexValues:${tag}:${tag}:s1`);
    expect([...new Set(report.differences.map((d) => d.instance))]).toEqual([`${tag}:s1`]);
    const cleaned = await TlSession.cleanIndexes();
    expect(cleaned.purged).toBe(1);
    expect((await TlSession.checkIndexes()).differences).toEqual([]);
    expect(await raw.exists(`$IndexValues:${tag}:${tag}:s1`)).toBe(0);
    expect(await TlSession.query.count()).toBe(1);
    await TlSession.deleteAll();
  });

  it("quarantines a corrupt row of a bucket, out of every index of that bucket", async () => {
    await events(8);
    // a truncated msgpack value (uint16 with one byte) in the sorted field: the row does not decode
    await raw.hset(keyOf("e5"), "at", Buffer.from([0xcd, 0x01]));
    const report = await TlEvent.checkIndexes();
    expect(report.corrupt.map((c) => [c.key, c.field])).toEqual([[keyOf("e5"), "at"]]);
    const rebuilt = await TlEvent.rebuildIndexes({ corrupt: "quarantine" });
    expect(rebuilt.quarantined).toEqual([keyOf("e5")]);
    expect(await raw.exists(keyOf("e5"))).toBe(0);
    expect(await raw.exists(`$Quarantine:${keyOf("e5")}`)).toBe(1);
    expect(await raw.sismember(`$Class:${tagOf("e5")}`, keyOf("e5"))).toBe(0);
    expect(await raw.sismember(`$IndexF:${tagOf("e5")}:kind:view`, keyOf("e5"))).toBe(0);
    expect(await raw.zscore(`$SortF:${tagOf("e5")}:at`, keyOf("e5"))).toBeNull();
    expect((await TlEvent.checkIndexes()).counts).toMatchObject({ corrupt: 0, stale: 0, missing: 0 });
    expect(await TlEvent.query.count()).toBe(7);
    await raw.del(`$Quarantine:${keyOf("e5")}`);
  });

  it("exports every bucket's instances, and imports them back into their buckets", async () => {
    await events(10);
    const lines: string[] = [];
    for await (const line of exportInstances(TlEvent)) lines.push(line);
    expect(lines).toHaveLength(10);
    expect(lines.map((line) => (JSON.parse(line) as { key: string }).key).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => keyOf(`e${i}`)).sort(),
    );
    expect(await TlEvent.deleteAll()).toBe(10);
    expect(await importInstances(lines, [TlEvent])).toMatchObject({ lines: 10, written: 10, bad: 0 });
    expect(await raw.sismember(`$Class:${tagOf("e4")}`, keyOf("e4"))).toBe(1);
    expect((await TlEvent.checkIndexes()).differences).toEqual([]);
    expect(await TlEvent.query.filter({ kind: "click" }).count()).toBe(5);
  });

  it("reports an instance stored in the wrong bucket as misplaced and leaves it alone", async () => {
    await events(4);
    const [a, b] = twoBuckets();
    // the hash of `a` under the tag of `b`'s bucket: its values make another key
    const hash = await raw.hgetallBuffer(keyOf(a));
    const wrong = `${tagOf(b)}:${a}`;
    await raw.hset(wrong, hash);
    const report = await TlEvent.checkIndexes();
    expect(report.misplaced).toEqual([wrong]);
    expect(report.counts.misplaced).toBe(1);
    const rebuilt = await TlEvent.rebuildIndexes();
    expect(rebuilt.misplaced).toEqual([wrong]);
    expect(await raw.exists(wrong)).toBe(1);
  });

  it("popoto check, clean and rebuild run on a sharded model", async () => {
    await events(12);
    await damage();
    const target = ON_CLUSTER ? ["--cluster", clusterUrls().join(",")] : ["--url", TEST_URL];
    const run = (command: string): ReturnType<typeof cli> =>
      cli(command, "--models", "test/fixtures/sharded-models.ts", "--model", "TlEvent", "--json", ...target);
    const checked = await run("check");
    expect(checked.stderr).toBe("");
    expect(checked.code).toBe(1);
    const models = (
      JSON.parse(checked.stdout) as {
        models: { model: string; missing: number; stale: number; score: number }[];
      }
    ).models;
    expect(models).toMatchObject([{ model: "TlEvent", missing: 1, stale: 3, score: 1 }]);
    expect((await run("clean")).code).toBe(0);
    expect((await run("rebuild")).code).toBe(0);
    const after = await run("check");
    expect(after.code).toBe(0);
    const inspected = await run("inspect");
    expect(inspected.stderr).toBe("");
    const stats = (
      JSON.parse(inspected.stdout) as {
        models: {
          model: string;
          instances: number;
          instanceMemory: { sampled: number };
          structures: { kind: string; keys: number; entries: number }[];
        }[];
      }
    ).models;
    expect(stats.map((m) => [m.model, m.instances, m.instanceMemory.sampled])).toEqual([["TlEvent", 12, 12]]);
    const repaired = await run("repair"); // finishing interrupted deletes: none here
    expect(repaired.stderr).toBe("");
    expect(repaired.code).toBe(0);
    const classSets = stats[0]?.structures.find((k) => k.kind === "$Class");
    const used = new Set(Array.from({ length: 12 }, (_, i) => tagOf(`e${i}`))).size;
    expect(classSets).toMatchObject({ keys: used, entries: 12 });
  });
});
