/**
 * Reads of a sharded model during and after a reshard (docs/storage.md §7a "Resharding"). The
 * mover's steps are done by hand here (the record, `$Retired` sets, copies through the mover
 * entry), so the state is exactly the one under test: old buckets emptied, one being emptied with
 * instances in both layouts, others not started. Every read must answer as an unsharded twin
 * holding each instance once.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { IndexedField, KeyField, Model, QueryError, SortedField } from "../../src/index.js";
import { keyBody, layoutView } from "../../src/keys/keys.js";
import { bucketOfText, bucketTag } from "../../src/keys/shards.js";
import { cachedLayout, forgetLayouts, layoutOf } from "../../src/shards/layout.js";
import { executeWrites, saveIntent } from "../../src/write/execute-write.js";
import { layoutKey, raw, useRedis } from "../support/redis.js";

useRedis();

const NAME = "RrEvent";
const fields = { id: KeyField(), kind: IndexedField(), rank: SortedField({ type: "int" }) };
class RrEvent extends Model(NAME, fields, { shards: 4 }) {}
class RrFlat extends Model("RrFlat", fields) {}

const record = layoutKey(`$Shards:${NAME}`);
const bucket4 = (id: string): number => bucketOfText(id, 4);
const keyIn = (id: string, count: number): string =>
  `${bucketTag(NAME, bucketOfText(id, count), count)}:${id}`;

const ids = Array.from({ length: 60 }, (_, i) => `e${String(i).padStart(2, "0")}`);
const valuesOf = (id: string, i: number): Record<string, unknown> => ({
  id,
  kind: ["a", "b", "c"][i % 3],
  rank: (i * 7) % 23,
});

/** The mover's copy of one instance into layout 6 (and, with `remove`, its delete from layout 4). */
async function moveTo6(values: Record<string, unknown>, remove: boolean): Promise<void> {
  const copy = saveIntent(layoutView(RrEvent.meta, 6), new Map(Object.entries(values)), undefined, undefined);
  await executeWrites([copy.intent], [], undefined, { mover: true });
  // An instance whose tag is the same in both layouts stays where it is (its copy was itself).
  if (remove && keyIn(values["id"] as string, 4) !== keyIn(values["id"] as string, 6))
    await executeWrites(
      [{ meta: RrEvent.meta, kind: "delete", oldKey: keyIn(values["id"] as string, 4), expected: null }],
      [],
      undefined,
      { mover: true },
    );
}

const retire = async (bucket: number): Promise<void> => {
  await raw.sadd(`$Retired:${bucketTag(NAME, bucket, 4)}`, "4");
};

/** Old bucket 0 emptied, bucket 1 being emptied (half its instances in both layouts), 2 and 3 not started. */
async function midMove(): Promise<void> {
  await raw.hset(record, { count: "4", to: "6", done: "0", moving: "1", epoch: "1" });
  await retire(0);
  await retire(1);
  let half = 0;
  for (const [i, id] of ids.entries()) {
    if (bucket4(id) === 0) await moveTo6(valuesOf(id, i), true);
    else if (bucket4(id) === 1) await moveTo6(valuesOf(id, i), half++ % 2 === 0);
  }
  forgetLayouts();
}

/** Every old bucket emptied and retired, the record at 6: a finished reshard. */
async function finished(): Promise<void> {
  for (const [i, id] of ids.entries()) await moveTo6(valuesOf(id, i), true);
  for (let b = 0; b < 4; b++) await retire(b);
  await raw.hset(record, { count: "6", epoch: "1" });
  await raw.hdel(record, "to", "done", "moving");
}

const idsOf = (rows: readonly { redisKey: string }[]): string[] => rows.map((row) => keyBody(row.redisKey));

/** Every read kind, as ids and numbers, to compare the sharded model with its twin. */
async function answers(model: typeof RrEvent | typeof RrFlat): Promise<unknown[]> {
  const q = model.query;
  const pages: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: object[]; next: string | null } = await q.orderBy("rank").limit(7).page(cursor);
    pages.push(...idsOf(page.items as { redisKey: string }[]));
    cursor = page.next;
  } while (cursor !== null);
  const iterated: string[] = [];
  for await (const item of q.filter({ kind: "b" }).iterate({ batchSize: 4 }))
    iterated.push(keyBody((item as { redisKey: string }).redisKey));
  const loaded = await Promise.all(ids.map((id) => model.load({ id })));
  return [
    idsOf(await q.filter({ kind: "a" })).sort(),
    await q.count(),
    await q.filter({ kind: "c" }).count(),
    await q.filter({ kind: "zzz" }).exists(),
    await q.filter({ kind: "b" }).exists(),
    idsOf(await q.orderBy("-rank", "id").limit(9).offset(4)),
    idsOf(await q.orderBy("id").limit(10)),
    (await q.keys()).map(keyBody).sort(),
    pages,
    iterated.sort(),
    await q.sum("rank"),
    await q.avg("rank"),
    await q.min("rank"),
    await q.max("rank"),
    [...(await q.countBy("kind")).entries()].sort(),
    loaded.map((instance) => (instance as { rank?: number } | null)?.rank ?? null),
    (await model.load(`${model === RrFlat ? "RrFlat" : bucketTag(NAME, 2, 4)}:nope`)) === null,
  ];
}

const LABELS = [
  "filter",
  "count",
  "filtered count",
  "exists (none)",
  "exists",
  "orderBy limit offset",
  "orderBy key field",
  "keys",
  "pages",
  "iterate",
  "sum",
  "avg",
  "min",
  "max",
  "countBy",
  "load each",
  "load a missing key",
];

async function expectSameAnswers(): Promise<void> {
  const sharded = await answers(RrEvent);
  const flat = await answers(RrFlat);
  LABELS.forEach((label, i) => expect(sharded[i], label).toEqual(flat[i]));
}

beforeEach(async () => {
  for (const [i, id] of ids.entries()) {
    await RrEvent.create(valuesOf(id, i) as never);
    await RrFlat.create(valuesOf(id, i) as never);
  }
});

describe("reads while a reshard moves the model", () => {
  it("answer every read kind as the unsharded twin, each instance once", async () => {
    await midMove();
    const both = ids.filter((id) => bucket4(id) === 1);
    // The state is the one meant: some instances are in both layouts, some only in 6, some only in 4.
    const inBoth = await Promise.all(
      both.map(async (id) => (await raw.exists(keyIn(id, 4))) + (await raw.exists(keyIn(id, 6)))),
    );
    expect(inBoth.filter((n) => n === 2).length).toBeGreaterThan(0);
    await expectSameAnswers();
    expect(cachedLayout(RrEvent.meta)).toMatchObject({ count: 4, to: 6, moving: 1 });
  });

  it("a process that only reads sees the move end at its next read", async () => {
    await midMove();
    expect(await RrEvent.query.count()).toBe(ids.length);
    expect(cachedLayout(RrEvent.meta)?.to).toBe(6);
    await finished();
    expect(await RrEvent.query.count()).toBe(ids.length);
    expect(cachedLayout(RrEvent.meta)).toEqual({ count: 6, done: new Set(), epoch: 1 });
  });

  it("explain() names the move", async () => {
    await midMove();
    const { fanOut } = await RrEvent.query.filter({ kind: "a" }).explain();
    expect(fanOut?.reshard).toEqual({ from: 4, to: 6, bucketsLeft: 3 });
    expect(fanOut?.shards).toBe(6);
  });
});

describe("reads after a reshard, by a process that still holds the old layout", () => {
  it("find a bucket retired, read the layout again and answer in full", async () => {
    forgetLayouts();
    expect((await layoutOf(RrEvent.meta)).count).toBe(4);
    await finished();
    expect(await RrEvent.query.count()).toBe(ids.length);
    expect(cachedLayout(RrEvent.meta)?.count).toBe(6);
    forgetLayouts();
    await layoutOf(RrEvent.meta);
    await raw.hset(record, { count: "4" }); // the cache says 4 again (re-read below from the retired sets)
    forgetLayouts();
    await layoutOf(RrEvent.meta);
    await raw.hset(record, { count: "6" });
    await expectSameAnswers();
  });

  it("deleteAll() empties the stored layout", async () => {
    await finished();
    expect(await RrEvent.deleteAll()).toBe(ids.length);
    expect(await RrEvent.query.count()).toBe(0);
    for (const id of ids) expect(await raw.exists(keyIn(id, 6))).toBe(0);
  });

  it("give up with a QueryError when the record keeps naming a retired layout", async () => {
    // A record that says 4 while every layout-4 bucket is retired for 4 (never so, but a reshard
    // racing every read looks the same): the read retries a bounded number of times.
    for (let b = 0; b < 4; b++) await retire(b);
    forgetLayouts();
    const error = await RrEvent.query
      .filter({ kind: "a" })
      .count()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryError);
    expect((error as QueryError).message).toContain("Retry the read");
  });

  it("load by key of the old layout finds the instance at its new key", async () => {
    forgetLayouts();
    await layoutOf(RrEvent.meta);
    const [id] = ids as [string];
    const oldKey = keyIn(id, 4);
    await finished();
    expect(await raw.exists(oldKey)).toBe(0);
    const found = (await RrEvent.load(oldKey)) as { redisKey: string } | null;
    expect(found?.redisKey).toBe(keyIn(id, 6));
  });
});
