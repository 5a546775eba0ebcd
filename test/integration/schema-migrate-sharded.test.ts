/**
 * Schema changes that do not lie, on a sharded model (issue 15 item 6 with issue 12): each bucket
 * keeps its own fingerprint (`$Schema:{Model#b.n}`, in the bucket's slot), recorded by the first
 * save into the bucket; a query on an index some bucket's fingerprint lacks fails with
 * INDEX_NOT_BUILT; `migrate()` walks every bucket, resumably. Bucket keys carry their tag on both
 * topologies, so the fingerprints are read with plain ioredis calls spelled the same way.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  connect,
  Field,
  IndexedField,
  isPopotoError,
  KeyField,
  Model,
  SortedField,
  type CommandEvent,
} from "../../src/index.js";
import { bucketOfText, bucketTag, keySlot } from "../../src/keys/shards.js";
import { unregisterModel } from "../../src/model/registry.js";
import { popotoCli } from "../support/cli.js";
import {
  clusterUrls,
  connectTestRedis,
  ON_CLUSTER,
  raw,
  standaloneIt,
  TEST_URL,
  useRedis,
} from "../support/redis.js";

useRedis();

const NAME = "SchemaEvent";
const K = 6;
const bucketOf = (title: string): number => bucketOfText(title, K);
const tagOf = (bucket: number): string => bucketTag(NAME, bucket, K);
const schemaKeyOf = (bucket: number): string => `$Schema:${tagOf(bucket)}`;
const buckets = Array.from({ length: K }, (_, b) => b);

/** The first definition: `pages` stored, not indexed. */
const defineV1 = () =>
  class EventV1 extends Model(
    NAME,
    { title: KeyField(), pages: Field({ type: "int" }), genre: Field() },
    { shards: K },
  ) {};
/** The next one: `pages` sorted and `genre` indexed, over the same stored instances. */
const defineV2 = () =>
  class EventV2 extends Model(
    NAME,
    { title: KeyField(), pages: SortedField({ type: "int" }), genre: IndexedField() },
    { shards: K },
  ) {};
/** A later one again: `pages` back to a plain field. */
const defineV3 = () =>
  class EventV3 extends Model(
    NAME,
    { title: KeyField(), pages: Field({ type: "int" }), genre: IndexedField() },
    { shards: K },
  ) {};

const V2_FINGERPRINT = { "~v": "1", "sorted:pages": "built", "indexed:genre": "built" };

afterEach(() => unregisterModel(NAME));

const titles = (count: number): string[] => Array.from({ length: count }, (_, i) => `b${i}`);

/** Stores the titles with the first definition, then returns the class of the second. */
async function storedThenRedefined(names: readonly string[]): Promise<ReturnType<typeof defineV2>> {
  const V1 = defineV1();
  await V1.bulkCreate(names.map((title, i) => ({ title, pages: i, genre: i % 2 ? "sf" : "drama" })));
  unregisterModel(NAME);
  return defineV2();
}

const codeOf = async (promise: PromiseLike<unknown>): Promise<string | undefined> => {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isPopotoError(error) ? error.code : String(error);
  }
};

const fingerprints = async (): Promise<Record<string, string>[]> =>
  Promise.all(buckets.map((b) => raw.hgetall(schemaKeyOf(b))));

describe("a sharded model's schema fingerprints", () => {
  it("are one per bucket, recorded by the first save into the bucket, in the bucket's slot", async () => {
    const V2 = defineV2();
    await V2.create({ title: "Dune", pages: 412, genre: "sf" });
    const bucket = bucketOf("Dune");
    expect(await raw.hgetall(schemaKeyOf(bucket))).toEqual(V2_FINGERPRINT);
    expect(keySlot(schemaKeyOf(bucket))).toBe(keySlot(`${tagOf(bucket)}:Dune`));
    // The other buckets hold no instance yet, so no fingerprint either.
    for (const b of buckets) if (b !== bucket) expect(await raw.exists(schemaKeyOf(b))).toBe(0);
    // bulkCreate records them too (its pipelined writes carry each bucket's section).
    await V2.bulkCreate(titles(40).map((title, i) => ({ title, pages: i, genre: "x" })));
    expect(await fingerprints()).toEqual(buckets.map(() => V2_FINGERPRINT));
  });
});

describe("reading a sharded model's fingerprints", () => {
  afterEach(async () => {
    await connectTestRedis(); // back to the suite's plain connection
  });

  it("costs one HGETALL per bucket per connection, at the first query that needs them, even from queries at once", async () => {
    const V2 = defineV2();
    await V2.bulkCreate(titles(40).map((title, i) => ({ title, pages: i, genre: i % 2 ? "sf" : "x" })));
    // A new connection knows nothing of the fingerprints.
    const events: CommandEvent[] = [];
    await connect({
      ...(ON_CLUSTER ? { cluster: clusterUrls() } : { url: TEST_URL }),
      onCommand: (e) => events.push(e),
    });
    const [above, sf] = await Promise.all([
      V2.query.count({ pages__gte: 20 }),
      V2.query.count({ genre: "sf" }),
    ]);
    expect([above, sf]).toEqual([20, 20]);
    await new Promise((resolve) => setImmediate(resolve)); // replies are reported as they settle
    const reads = events.filter((e) => e.name.toLowerCase() === "hgetall").map((e) => e.args[0]);
    expect([...reads].sort()).toEqual(buckets.map(schemaKeyOf).sort());
    events.length = 0;
    expect(await V2.query.filter({ pages__lt: 3 })).toHaveLength(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.filter((e) => e.name.toLowerCase() === "hgetall")).toEqual([]);
  });
});

describe("a sharded model that gains indexes over stored instances", () => {
  it("refuses queries on them with INDEX_NOT_BUILT; migrate() builds every bucket; the answers are then whole", async () => {
    const V2 = await storedThenRedefined(titles(60));
    const refusals = [
      () => V2.query.filter({ pages__gt: 9 }),
      () => V2.query.count({ pages__gte: 10 }),
      () => V2.query.orderBy("-pages").limit(5),
      () => V2.query.filter({ genre: "sf" }),
      () => V2.query.count({ genre: "sf" }),
      () => V2.query.sum("pages"),
    ];
    for (const query of refusals) expect(await codeOf(query())).toBe("INDEX_NOT_BUILT");
    const error: unknown = await V2.query.filter({ pages__gt: 9 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: "INDEX_NOT_BUILT",
      model: NAME,
      field: "pages",
      index: "sorted:pages",
    });
    // What was indexed from the start still answers.
    expect((await V2.query.filter({ title: "b3" })).map((b) => b.pages)).toEqual([3]);
    expect(await V2.query.count()).toBe(60);

    const result = await V2.migrate({ batchSize: 7 });
    expect(result).toMatchObject({ model: NAME, complete: true, resumed: false, dropped: [] });
    expect([...result.built].sort()).toEqual(["indexed:genre", "sorted:pages"]);
    expect(result.added).toBe(120);
    // At least one step per bucket.
    expect(result.steps).toBeGreaterThanOrEqual(K);

    expect(await V2.query.count({ pages__gt: 9 })).toBe(50);
    expect((await V2.query.orderBy("-pages").limit(3)).map((b) => b.pages)).toEqual([59, 58, 57]);
    expect(await V2.query.count({ genre: "sf" })).toBe(30);
    expect(await V2.query.sum("pages")).toBe((59 * 60) / 2);
    expect(await fingerprints()).toEqual(buckets.map(() => V2_FINGERPRINT));
    expect((await V2.checkIndexes()).counts).toMatchObject({ missing: 0, stale: 0, score: 0 });
  });

  it("a bucket recorded with the new indexes does not hide the buckets that lack them", async () => {
    // Stored instances in every bucket but one; the first save into that one, with the new
    // definition, records a fingerprint listing the new indexes.
    const empty = bucketOf("new");
    const V2 = await storedThenRedefined(titles(60).filter((title) => bucketOf(title) !== empty));
    await V2.create({ title: "new", pages: 1, genre: "sf" });
    expect(await raw.hgetall(schemaKeyOf(empty))).toEqual(V2_FINGERPRINT);
    expect(await codeOf(V2.query.count({ pages__gte: 0 }))).toBe("INDEX_NOT_BUILT");
    // A filter by key fields without shardBy still reads every bucket, so every bucket decides.
    expect(await codeOf(V2.query.count({ title: "new", genre: "sf" }))).toBe("INDEX_NOT_BUILT");
    await V2.migrate();
    expect(await V2.query.count({ pages__gte: 0 })).toBe(await V2.query.count());
    expect(await V2.query.count({ genre: "sf" })).toBe(
      (await V2.query.all()).filter((b) => b.genre === "sf").length,
    );
  });

  it("a query that gives shardBy checks only its bucket's fingerprint, and still refuses a bucket lacking the index", async () => {
    const OWNED = "SchemaOwned";
    const owned = (indexed: boolean) =>
      class Owned extends Model(
        OWNED,
        {
          owner: KeyField(),
          title: KeyField(),
          pages: indexed ? SortedField({ type: "int" }) : Field({ type: "int" }),
        },
        { shards: K, shardBy: "owner" },
      ) {};
    const owners = ["o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7"];
    const fresh = owners.find((o) => bucketOfText(o, K) !== bucketOfText("o0", K)) as string;
    const stale = owners.filter((o) => bucketOfText(o, K) !== bucketOfText(fresh, K));
    try {
      const V1 = owned(false);
      await V1.bulkCreate(stale.map((owner, i) => ({ owner, title: "t", pages: i })));
      unregisterModel(OWNED);
      const V2 = owned(true);
      // The first save into the fresh owner's bucket records it with the sorted index.
      await V2.create({ owner: fresh, title: "t", pages: 7 });
      const events: CommandEvent[] = [];
      await connect({
        ...(ON_CLUSTER ? { cluster: clusterUrls() } : { url: TEST_URL }),
        onCommand: (e) => events.push(e),
      });
      expect(await V2.query.count({ owner: fresh, pages__gte: 0 })).toBe(1);
      await new Promise((resolve) => setImmediate(resolve)); // replies are reported as they settle
      const freshTag = bucketTag(OWNED, bucketOfText(fresh, K), K);
      expect(events.filter((e) => e.name === "HGETALL").map((e) => e.args[0])).toEqual([
        `$Schema:${freshTag}`,
      ]);
      // A bucket whose instances predate the index: refused, reading it alone or with the others.
      expect(await codeOf(V2.query.count({ owner: stale[0] as string, pages__gte: 0 }))).toBe(
        "INDEX_NOT_BUILT",
      );
      expect(await codeOf(V2.query.filter({ owner__in: [fresh, stale[0] as string], pages__gte: 0 }))).toBe(
        "INDEX_NOT_BUILT",
      );
      expect(await codeOf(V2.query.count({ pages__gte: 0 }))).toBe("INDEX_NOT_BUILT");
      expect(await V2.query.filter({ owner: fresh, pages__lt: 10 })).toHaveLength(1);
    } finally {
      await connectTestRedis();
      unregisterModel(OWNED);
    }
  });

  it("buckets without a fingerprint (data of an older popoto) are trusted, as an unsharded model without one", async () => {
    const V1 = defineV1();
    await V1.bulkCreate(titles(12).map((title, i) => ({ title, pages: i, genre: "x" })));
    await Promise.all(buckets.map((b) => raw.del(schemaKeyOf(b))));
    unregisterModel(NAME);
    const V2 = defineV2();
    // Unknown is trusted: the new index is still empty.
    expect(await V2.query.count({ pages__gte: 0 })).toBe(0);
    const result = await V2.migrate();
    expect(result.complete).toBe(true);
    expect(await V2.query.count({ pages__gte: 0 })).toBe(12);
    expect(await fingerprints()).toEqual(buckets.map(() => V2_FINGERPRINT));
  });

  it("a refusal ends once another process recorded every bucket: the fingerprints are read again", async () => {
    const V2 = await storedThenRedefined(titles(20));
    expect(await codeOf(V2.query.count({ pages__gt: 1 }))).toBe("INDEX_NOT_BUILT");
    await V2.rebuildIndexes();
    // As another process would: record every bucket's fingerprint directly.
    await Promise.all(
      buckets.map((b) =>
        raw.hset(schemaKeyOf(b), "~v", "1", "sorted:pages", "built", "indexed:genre", "built"),
      ),
    );
    expect(await V2.query.count({ pages__gt: 1 })).toBe(18);
  });

  it("resumes after a stop: each bucket keeps its walk's position; the next run skips the buckets done", async () => {
    // More members per bucket than a small set's compact encoding holds, so SSCAN returns batches.
    const V2 = await storedThenRedefined(titles(1200));
    const first = await V2.migrate({ batchSize: 20, maxSteps: 3 });
    expect(first).toMatchObject({ complete: false, steps: 3, resumed: false });
    const states = await fingerprints();
    const stopped = states.filter((hash) => hash["~migrate"] !== undefined);
    expect(stopped).toHaveLength(1);
    const progress = JSON.parse(stopped[0]?.["~migrate"] ?? "null") as { cursor: string; ids: string[] };
    expect(progress.cursor).not.toBe("0");
    expect([...progress.ids].sort()).toEqual(["indexed:genre", "sorted:pages"]);
    // Half built is not built: still refused.
    expect(await codeOf(V2.query.count({ pages__gt: 100 }))).toBe("INDEX_NOT_BUILT");

    // A stop at a bucket's end: the next bucket is marked, so the run after it knows it resumes.
    const second = await V2.migrate({ batchSize: 1000, maxSteps: 1 });
    expect(second).toMatchObject({ complete: false, steps: 1, resumed: true });

    const seen: number[] = [];
    const third = await V2.migrate({ batchSize: 20, onProgress: (_phase, done) => seen.push(done) });
    expect(third).toMatchObject({ complete: true, resumed: true });
    expect(first.added + second.added + third.added).toBe(2400);
    expect(seen.length).toBeGreaterThan(0);
    expect(await fingerprints()).toEqual(buckets.map(() => V2_FINGERPRINT));
    expect(await V2.query.count({ pages__gt: 100 })).toBe(1099);
    expect((await V2.checkIndexes()).counts).toMatchObject({ missing: 0, stale: 0, score: 0 });
  });

  it("drops an index the model no longer declares, in every bucket", async () => {
    const V2 = defineV2();
    await V2.bulkCreate(titles(24).map((title, i) => ({ title, pages: i, genre: "x" })));
    const used = [...new Set(titles(24).map(bucketOf))];
    expect(used.length).toBeGreaterThan(1);
    unregisterModel(NAME);
    const V3 = defineV3();
    const result = await V3.migrate();
    expect(result).toMatchObject({ built: [], dropped: ["sorted:pages"], removed: 24, complete: true });
    for (const b of buckets) {
      expect(await raw.exists(`$SortF:${tagOf(b)}:pages`)).toBe(0);
      expect(await raw.hgetall(schemaKeyOf(b))).toEqual({ "~v": "1", "indexed:genre": "built" });
    }
    expect(await V3.query.count({ genre: "x" })).toBe(24);
  });

  it("is safe while the application writes: every instance saved, changed or deleted meanwhile ends indexed right", async () => {
    const V2 = await storedThenRedefined(titles(400));
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        await V2.create({ title: `new${n}`, pages: 1000 + n, genre: "new" });
        const stored = await V2.load({ title: `b${(n * 7) % 400}` });
        if (stored) {
          stored.pages = 5000 + n;
          await stored.save();
        }
        if (n % 5 === 0) await (await V2.load({ title: `b${(n * 11 + 3) % 400}` }))?.delete();
        n++;
      }
      return n;
    })();
    const result = await V2.migrate({ batchSize: 25 });
    writing = false;
    expect(await writer).toBeGreaterThan(0);
    expect(result.complete).toBe(true);
    const all = await V2.query.all();
    expect(await V2.query.count({ pages__gte: 0 })).toBe(all.length);
    expect(await V2.query.count({ pages__gte: 1000 })).toBe(all.filter((b) => b.pages >= 1000).length);
    expect(await V2.query.count({ genre: "new" })).toBe(all.filter((b) => b.genre === "new").length);
    expect((await V2.checkIndexes()).counts).toMatchObject({ missing: 0, stale: 0, score: 0 });
  });

  standaloneIt("the CLI runs in its own process with --url")(
    "npx popoto migrate: migrates a sharded model; stops after --max-steps (exit 1), resumes on the next run (exit 0)",
    async () => {
      const V2 = await storedThenRedefined(titles(1200));
      const run = popotoCli("test/fixtures/schema-models.ts");
      const first = await run("migrate", "--model", NAME, "--batch-size", "20", "--max-steps", "2");
      expect(first.stderr).toBe("");
      expect(first.code).toBe(1);
      expect(first.stdout).toMatch(/SchemaEvent .*stopped after 2 step\(s\)/);
      expect(await codeOf(V2.query.count({ pages__gte: 0 }))).toBe("INDEX_NOT_BUILT");
      const second = await run("migrate", "--model", NAME, "--batch-size", "50", "--json");
      expect(second.code).toBe(0);
      const json = JSON.parse(second.stdout) as {
        ok: boolean;
        models: { resumed: boolean; complete: boolean }[];
      };
      expect(json).toMatchObject({ ok: true, models: [{ resumed: true, complete: true }] });
      expect(await V2.query.count({ pages__gte: 0 })).toBe(1200);
      expect(await fingerprints()).toEqual(buckets.map(() => V2_FINGERPRINT));
    },
    60_000,
  );
});
