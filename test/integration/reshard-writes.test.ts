/**
 * Writes of a sharded model during and after a reshard (docs/storage.md §7a "Resharding"): the
 * layout record and the `$Retired` sets are written here with raw commands (the mover's steps,
 * done by hand), and popoto's writes must follow them. A connection's cached layout is made stale
 * the way another process's would be: it read the record before the reshard moved on.
 */
import { describe, expect, it } from "vitest";
import {
  ConcurrentModificationError,
  connect,
  IndexedField,
  KeyField,
  Model,
  Relationship,
  SortedField,
} from "../../src/index.js";
import { layoutView } from "../../src/keys/keys.js";
import { bucketOfText, bucketTag } from "../../src/keys/shards.js";
import { cachedLayout, forgetLayouts, layoutOf } from "../../src/shards/layout.js";
import { executeWrites, saveIntent } from "../../src/write/execute-write.js";
import { caught } from "../support/inspect.js";
import {
  clusterUrls,
  connectTestRedis,
  layoutKey,
  ON_CLUSTER,
  raw,
  TEST_URL,
  useRedis,
} from "../support/redis.js";

useRedis();

const NAME = "RwEvent";
class RwEvent extends Model(
  NAME,
  { id: KeyField(), kind: IndexedField(), n: SortedField({ type: "int" }) },
  { shards: 4 },
) {}

class RwParent extends Model("RwParent", { id: KeyField() }) {}
class RwChild extends Model(
  "RwChild",
  { id: KeyField(), parent: Relationship(() => RwParent, { null: true, onDelete: "cascade" }) },
  { shards: 4 },
) {}

class RwPost extends Model(
  "RwPost",
  { id: KeyField(), tags: Relationship(() => RwParent, { many: true }) },
  { shards: 4 },
) {}

const record = layoutKey(`$Shards:${NAME}`);
const tag = (id: string, count: number): string => bucketTag(NAME, bucketOfText(id, count), count);
const keyIn = (id: string, count: number): string => `${tag(id, count)}:${id}`;
const classIn = (id: string, count: number): string => `$Class:${tag(id, count)}`;

/** Ids whose layout-4 and layout-6 tags differ (an instance that moves), first `n` of them. */
const movers = (n: number): string[] =>
  Array.from({ length: 200 }, (_, i) => `e${i}`)
    .filter((id) => tag(id, 4) !== tag(id, 6))
    .slice(0, n);

const setRecord = async (fields: Record<string, string>): Promise<void> => {
  await raw.del(record);
  if (Object.keys(fields).length > 0) await raw.hset(record, fields);
};

/** This connection caches layout 4, as a process that read the record before the reshard. */
async function cacheLayout4(): Promise<void> {
  const saved = await raw.hgetall(record);
  forgetLayouts();
  await setRecord({ count: "4" });
  await layoutOf(RwEvent.meta);
  await setRecord(saved);
  expect(cachedLayout(RwEvent.meta)?.count).toBe(4);
}

/** Every layout-4 bucket retired for 4, the record at 6: a reshard 4 → 6 finished. */
async function finishReshard(): Promise<void> {
  for (let b = 0; b < 4; b++) await raw.sadd(`$Retired:${bucketTag(NAME, b, 4)}`, "4");
  await setRecord({ count: "6", epoch: "1" });
}

/** The mover's two writes for one instance: its copy in layout 6, then its delete from layout 4. */
async function moveTo6(values: Record<string, unknown>): Promise<void> {
  const copy = saveIntent(layoutView(RwEvent.meta, 6), new Map(Object.entries(values)), undefined, undefined);
  await executeWrites([copy.intent], [], undefined, { mover: true });
  const old = keyIn(values["id"] as string, 4);
  await executeWrites([{ meta: RwEvent.meta, kind: "delete", oldKey: old, expected: null }], [], undefined, {
    mover: true,
  });
}

describe("writes during and after a reshard", () => {
  it("a connection with a stale layout fails its guard, reads the record again and creates in the new layout", async () => {
    const [id] = movers(1) as [string];
    await cacheLayout4();
    await finishReshard();
    await RwEvent.create({ id, kind: "a", n: 1 });
    expect(cachedLayout(RwEvent.meta)?.count).toBe(6);
    expect(await raw.hget(keyIn(id, 6), "kind")).not.toBeNull();
    expect(await raw.exists(keyIn(id, 4))).toBe(0);
    expect(await raw.smembers(classIn(id, 6))).toEqual([keyIn(id, 6)]);
    expect(await raw.scard(classIn(id, 4))).toBe(0);
  });

  it("updates, increments and deletes an instance loaded under layout 4 at its key in layout 6", async () => {
    const [a, b, c] = movers(3) as [string, string, string];
    await setRecord({ count: "4" });
    forgetLayouts();
    const made = await Promise.all([a, b, c].map((id, i) => RwEvent.create({ id, kind: "k", n: i })));
    const [ea, eb, ec] = made as [RwEvent, RwEvent, RwEvent];
    expect(ea.redisKey).toBe(keyIn(a, 4));
    for (const [i, id] of [a, b, c].entries()) await moveTo6({ id, kind: "k", n: i });
    await finishReshard();

    await cacheLayout4();
    ea.kind = "updated";
    await ea.save();
    expect(await raw.exists(keyIn(a, 4))).toBe(0);
    expect((await raw.smembers(`$IndexF:${tag(a, 6)}:kind:updated`)).length).toBe(1);
    expect(await raw.sismember(`$IndexF:${tag(a, 6)}:kind:k`, keyIn(a, 6))).toBe(0);

    await cacheLayout4();
    await eb.atomicIncrement("n", 10);
    expect(await raw.zscore(`$SortF:${tag(b, 6)}:n`, keyIn(b, 6))).toBe("11");
    expect(await raw.exists(keyIn(b, 4))).toBe(0);

    await cacheLayout4();
    await ec.delete();
    expect(await raw.exists(keyIn(c, 6))).toBe(0);
    expect(await raw.sismember(classIn(c, 6), keyIn(c, 6))).toBe(0);
    expect(await raw.sismember(`$SortF:${tag(c, 6)}:n`, keyIn(c, 6))).toBe(0);
  });

  it("while moving, writes to a finished bucket go to layout 6 and others stay in layout 4 behind the guard", async () => {
    const ids = movers(40);
    const done = bucketOfText(ids[0] as string, 4);
    const there = ids.find((id) => bucketOfText(id, 4) === done) as string;
    const stays = ids.find((id) => bucketOfText(id, 4) !== done) as string;
    await raw.sadd(`$Retired:${bucketTag(NAME, done, 4)}`, "4");
    await setRecord({ count: "4", to: "6", done: String(done), epoch: "1" });
    forgetLayouts();
    await RwEvent.create({ id: there, kind: "a", n: 1 });
    await RwEvent.create({ id: stays, kind: "a", n: 1 });
    expect(await raw.exists(keyIn(there, 6))).toBe(1);
    expect(await raw.exists(keyIn(there, 4))).toBe(0);
    expect(await raw.exists(keyIn(stays, 4))).toBe(1);
    expect(await raw.exists(keyIn(stays, 6))).toBe(0);
  });

  it("a write to the bucket being moved waits until the mover is done with it, then lands in layout 6", async () => {
    const [id] = movers(1) as [string];
    const ob = bucketOfText(id, 4);
    await raw.sadd(`$Retired:${bucketTag(NAME, ob, 4)}`, "4");
    await setRecord({ count: "4", to: "6", done: "", moving: String(ob), epoch: "1" });
    forgetLayouts();
    const first = await layoutOf(RwEvent.meta);
    const pending = RwEvent.create({ id, kind: "w", n: 1 });
    // The writer reads the record again while it waits: a new layout object in the cache.
    for (let i = 0; i < 10_000 && cachedLayout(RwEvent.meta) === first; i++) await raw.ping();
    expect(cachedLayout(RwEvent.meta)).not.toBe(first);
    expect(await raw.exists(keyIn(id, 4))).toBe(0);
    expect(await raw.exists(keyIn(id, 6))).toBe(0);
    await raw.hset(record, "done", String(ob));
    await raw.hdel(record, "moving");
    await pending;
    expect(await raw.exists(keyIn(id, 6))).toBe(1);
    expect(await raw.exists(keyIn(id, 4))).toBe(0);
  });

  it("a write to a bucket that stays moving fails with ConcurrentModificationError at the deadline, writing nothing", async () => {
    const [id] = movers(1) as [string];
    const ob = bucketOfText(id, 4);
    await raw.sadd(`$Retired:${bucketTag(NAME, ob, 4)}`, "4");
    await setRecord({ count: "4", to: "6", done: "", moving: String(ob), epoch: "1" });
    await connect({ ...(ON_CLUSTER ? { cluster: clusterUrls() } : { url: TEST_URL }), writeDeadlineMs: 150 });
    try {
      const error = await caught(() => RwEvent.create({ id, kind: "w", n: 1 }), ConcurrentModificationError);
      expect(error).toBeInstanceOf(ConcurrentModificationError);
    } finally {
      await connectTestRedis();
    }
    expect(await raw.exists(keyIn(id, 4))).toBe(0);
    expect(await raw.exists(keyIn(id, 6))).toBe(0);
  });

  it("addRelated() with a stale layout lands at the instance's key and reverse set in layout 6", async () => {
    const postTag = (id: string, count: number): string =>
      bucketTag("RwPost", bucketOfText(id, count), count);
    const id = Array.from({ length: 100 }, (_, i) => `p${i}`).find(
      (p) => postTag(p, 4) !== postTag(p, 6),
    ) as string;
    const target = await RwParent.create({ id: "t" });
    const postRecord = layoutKey("$Shards:RwPost");
    await raw.hset(postRecord, "count", "6");
    forgetLayouts();
    const post = await RwPost.create({ id, tags: [] });
    expect(post.redisKey).toBe(`${postTag(id, 4)}:${id}`);
    // This connection read layout 4 before the reshard; the stored one is 6 now.
    await raw.hset(postRecord, "count", "4");
    forgetLayouts();
    await layoutOf(RwPost.meta);
    await raw.hset(postRecord, "count", "6");
    for (let b = 0; b < 4; b++) await raw.sadd(`$Retired:${bucketTag("RwPost", b, 4)}`, "4");
    await post.addRelated("tags", target);
    const key6 = `${postTag(id, 6)}:${id}`;
    expect(await raw.smembers(`$RelationshipF:${postTag(id, 6)}:tags:${target.redisKey}`)).toEqual([key6]);
    expect(await raw.exists(`${postTag(id, 4)}:${id}`)).toBe(0);
  });

  it("bulkCreate() pipelines its writes to the routed buckets: a stale layout fails the guard, then lands in 6", async () => {
    const ids = movers(5);
    await cacheLayout4();
    await finishReshard();
    await RwEvent.bulkCreate(ids.map((id, n) => ({ id, kind: "bulk", n })));
    for (const id of ids) {
      expect(await raw.exists(keyIn(id, 6))).toBe(1);
      expect(await raw.exists(keyIn(id, 4))).toBe(0);
    }
    expect(cachedLayout(RwEvent.meta)?.count).toBe(6);
  });

  it("the mover entry writes a retired bucket as spelled, without routing or guard", async () => {
    const [id] = movers(1) as [string];
    await finishReshard();
    forgetLayouts();
    const write = saveIntent(
      RwEvent.meta,
      new Map<string, unknown>([
        ["id", id],
        ["kind", "m"],
        ["n", 3],
      ]),
      undefined,
      undefined,
    );
    await executeWrites([write.intent], [], undefined, { mover: true });
    // Layout 4's bucket, retired for 4: only the mover may write there.
    expect(await raw.exists(keyIn(id, 4))).toBe(1);
    expect(await raw.exists(keyIn(id, 6))).toBe(0);
    expect(cachedLayout(RwEvent.meta)).toBeUndefined();
  });

  it("a cascade finds referrers of a resharded model in its stored layout's reverse sets", async () => {
    const parent = await RwParent.create({ id: "p" });
    const ids = Array.from({ length: 100 }, (_, i) => `c${i}`)
      .filter(
        (id) => bucketTag("RwChild", bucketOfText(id, 4), 4) !== bucketTag("RwChild", bucketOfText(id, 6), 6),
      )
      .slice(0, 2) as [string, string];
    for (const id of ids) await RwChild.create({ id, parent });
    // The mover's writes for each child, then the reshard 4 → 6 finished.
    for (const id of ids) {
      const values = new Map<string, unknown>([
        ["id", id],
        ["parent", parent.redisKey],
      ]);
      const copy = saveIntent(layoutView(RwChild.meta, 6), values, undefined, undefined);
      await executeWrites([copy.intent], [], undefined, { mover: true });
      const old = `${bucketTag("RwChild", bucketOfText(id, 4), 4)}:${id}`;
      await executeWrites(
        [{ meta: RwChild.meta, kind: "delete", oldKey: old, expected: null }],
        [],
        undefined,
        {
          mover: true,
        },
      );
    }
    await raw.hset(layoutKey("$Shards:RwChild"), "count", "6");
    forgetLayouts();
    await parent.delete();
    for (const id of ids)
      expect(await raw.exists(`${bucketTag("RwChild", bucketOfText(id, 6), 6)}:${id}`)).toBe(0);
    expect(await raw.exists(layoutKey("RwParent:p"))).toBe(0);
  });
});
