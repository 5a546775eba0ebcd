/**
 * Schema changes that do not lie (issue 15, item 6): a model that gains an index over stored
 * instances refuses queries on it (INDEX_NOT_BUILT) until `migrate()` has built it, then answers
 * them in full; `migrate()` is resumable and safe while the application writes. The fingerprint
 * (`$Schema:<Model>`, `$Schema:{<Model>}` on a cluster) is read with plain ioredis calls.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  Field,
  IndexedField,
  IndexNotBuiltError,
  isPopotoError,
  KeyField,
  Model,
  Relationship,
  SortedField,
} from "../../src/index.js";
import { unregisterModel } from "../../src/model/registry.js";
import { popotoCli } from "../support/cli.js";
import { allKeysWithFingerprints, raw, standaloneIt, useRedis } from "../support/redis.js";

useRedis();

const NAME = "SchemaBook";
const KEY = `$Schema:${NAME}`;

/** The first definition: `pages` stored, not indexed. */
const defineV1 = () =>
  class BookV1 extends Model(NAME, { title: KeyField(), pages: Field({ type: "int" }), genre: Field() }) {};
/** The next definition: `pages` sorted and `genre` indexed, over the same stored instances. */
const defineV2 = () =>
  class BookV2 extends Model(NAME, {
    title: KeyField(),
    pages: SortedField({ type: "int" }),
    genre: IndexedField(),
  }) {};
/** A later one again: `pages` back to a plain field (its sorted set is no longer declared). */
const defineV3 = () =>
  class BookV3 extends Model(NAME, {
    title: KeyField(),
    pages: Field({ type: "int" }),
    genre: IndexedField(),
  }) {};

afterEach(() => unregisterModel(NAME));

/** Stores `count` books with the first definition, then returns the class of the second. */
async function storedThenRedefined(count: number): Promise<ReturnType<typeof defineV2>> {
  const V1 = defineV1();
  await V1.bulkCreate(
    Array.from({ length: count }, (_, i) => ({ title: `b${i}`, pages: i, genre: i % 2 ? "sf" : "drama" })),
  );
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

describe("the schema fingerprint", () => {
  it("is recorded by the first save into an empty model, in the model's slot", async () => {
    const V2 = defineV2();
    await V2.create({ title: "Dune", pages: 412, genre: "sf" });
    expect(await raw.hgetall(KEY)).toEqual({ "~v": "1", "sorted:pages": "built", "indexed:genre": "built" });
    expect(await allKeysWithFingerprints()).toContain(KEY);
  });

  it("is recorded anew by a save into a model emptied since: an earlier definition's ids go", async () => {
    const V2 = await storedThenRedefined(3);
    expect(await codeOf(V2.query.count({ pages__gt: 1 }))).toBe("INDEX_NOT_BUILT");
    await V2.deleteAll();
    await V2.create({ title: "again", pages: 7, genre: "sf" });
    expect(await raw.hgetall(KEY)).toEqual({ "~v": "1", "sorted:pages": "built", "indexed:genre": "built" });
    expect(await V2.query.count({ pages__gt: 1 })).toBe(1);
    // And back: the first definition, writing into the emptied model, records only what it keeps.
    await V2.deleteAll();
    unregisterModel(NAME);
    const V1 = defineV1();
    await V1.create({ title: "old", pages: 1, genre: "x" });
    expect(await raw.hgetall(KEY)).toEqual({ "~v": "1" });
  });

  it("is not recorded by a save over stored instances that have none (unknown: trusted)", async () => {
    const V1 = defineV1();
    await V1.create({ title: "a", pages: 1, genre: "x" });
    await raw.del(KEY);
    await V1.create({ title: "b", pages: 2, genre: "x" });
    expect(await raw.exists(KEY)).toBe(0);
  });
});

describe("a model that gains indexes over stored instances", () => {
  it("refuses queries on them with INDEX_NOT_BUILT; migrate() builds them; the answers are then whole", async () => {
    const V2 = await storedThenRedefined(30);
    // Every way of reading the new sorted set or value sets fails before reading anything.
    const refusals = [
      () => V2.query.filter({ pages__gt: 9 }),
      () => V2.query.count({ pages__gte: 10 }),
      () => V2.query.orderBy("-pages").limit(5),
      () => V2.query.filter({ genre: "sf" }),
      () => V2.query.count({ genre: "sf" }),
      () => V2.query.sum("pages"),
    ];
    for (const query of refusals) expect(await codeOf(query())).toBe("INDEX_NOT_BUILT");
    const error = await V2.query.filter({ pages__gt: 9 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IndexNotBuiltError);
    expect(error).toMatchObject({ model: NAME, field: "pages", index: "sorted:pages" });
    expect((error as Error).message).toMatch(/npx popoto migrate --models .* --model SchemaBook/);
    // Queries on what was indexed from the start still run.
    expect((await V2.query.filter({ title: "b3" })).map((b) => b.pages)).toEqual([3]);
    expect(await V2.query.count()).toBe(30);

    const result = await V2.migrate();
    expect(result).toMatchObject({ model: NAME, complete: true, resumed: false, dropped: [] });
    expect([...result.built].sort()).toEqual(["indexed:genre", "sorted:pages"]);
    expect(result.added).toBe(60);

    expect(await V2.query.count({ pages__gt: 9 })).toBe(20);
    expect((await V2.query.orderBy("-pages").limit(3)).map((b) => b.pages)).toEqual([29, 28, 27]);
    expect(await V2.query.count({ genre: "sf" })).toBe(15);
    expect(await V2.query.sum("pages")).toBe((29 * 30) / 2);
    expect(await raw.hgetall(KEY)).toEqual({ "~v": "1", "sorted:pages": "built", "indexed:genre": "built" });
    expect((await V2.checkIndexes()).counts).toMatchObject({ missing: 0, stale: 0, score: 0 });
  });

  it("a second process's refusal ends once migrate() ran in another: the fingerprint is read again", async () => {
    const V2 = await storedThenRedefined(5);
    expect(await codeOf(V2.query.count({ pages__gt: 1 }))).toBe("INDEX_NOT_BUILT");
    // As another process would: build the index's entries and record the fingerprint directly.
    await V2.rebuildIndexes();
    await raw.hset(KEY, "sorted:pages", "built", "indexed:genre", "built");
    expect(await V2.query.count({ pages__gt: 1 })).toBe(3);
  });

  it("without a fingerprint (an older popoto, or Python Popoto): queries are trusted; migrate() builds and records", async () => {
    const V1 = defineV1();
    await V1.bulkCreate(Array.from({ length: 6 }, (_, i) => ({ title: `b${i}`, pages: i, genre: "x" })));
    await raw.del(KEY);
    unregisterModel(NAME);
    const V2 = defineV2();
    // Unknown is trusted, as before fingerprints existed: the new index is still empty.
    expect(await V2.query.count({ pages__gte: 0 })).toBe(0);
    const result = await V2.migrate();
    expect(result.complete).toBe(true);
    expect(await V2.query.count({ pages__gte: 0 })).toBe(6);
    expect(await raw.hget(KEY, "~v")).toBe("1");
  });

  it("drops an index the model no longer declares", async () => {
    const V2 = defineV2();
    await V2.bulkCreate(Array.from({ length: 4 }, (_, i) => ({ title: `b${i}`, pages: i, genre: "x" })));
    expect(await raw.zcard(`$SortF:${NAME}:pages`)).toBe(4);
    unregisterModel(NAME);
    const V3 = defineV3();
    const result = await V3.migrate();
    expect(result).toMatchObject({ built: [], dropped: ["sorted:pages"], removed: 4, complete: true });
    expect(await raw.exists(`$SortF:${NAME}:pages`)).toBe(0);
    expect(await raw.hgetall(KEY)).toEqual({ "~v": "1", "indexed:genre": "built" });
    expect(await V3.query.count({ genre: "x" })).toBe(4);
  });

  it("resumes after a stop: maxSteps leaves the walk's position in the fingerprint; the next run continues it", async () => {
    // More members than a small set's compact encoding holds, so SSCAN really returns batches.
    const V2 = await storedThenRedefined(300);
    const first = await V2.migrate({ batchSize: 20, maxSteps: 3 });
    expect(first).toMatchObject({ complete: false, steps: 3, resumed: false });
    const progress = JSON.parse((await raw.hget(KEY, "~migrate")) ?? "null") as {
      cursor: string;
      ids: string[];
    };
    expect(progress.cursor).not.toBe("0");
    expect([...progress.ids].sort()).toEqual(["indexed:genre", "sorted:pages"]);
    // Half built is not built: still refused.
    expect(await codeOf(V2.query.count({ pages__gt: 100 }))).toBe("INDEX_NOT_BUILT");
    const seen: number[] = [];
    const second = await V2.migrate({ batchSize: 20, onProgress: (_phase, done) => seen.push(done) });
    expect(second).toMatchObject({ complete: true, resumed: true });
    expect(first.added + second.added).toBe(600);
    expect(seen.length).toBeGreaterThan(0);
    expect(await raw.hexists(KEY, "~migrate")).toBe(0);
    expect(await V2.query.count({ pages__gt: 100 })).toBe(199);
    expect((await V2.checkIndexes()).counts).toMatchObject({ missing: 0, stale: 0, score: 0 });
  });

  it("is safe while the application writes: every instance saved, changed or deleted meanwhile ends indexed right", async () => {
    const V2 = await storedThenRedefined(400);
    let writing = true;
    const writer = (async () => {
      let n = 0;
      while (writing) {
        // New instances, changed sorted values of stored ones, and deletes, interleaved with the build.
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
    const written = await writer;
    expect(written).toBeGreaterThan(0);
    expect(result.complete).toBe(true);
    const all = await V2.query.all();
    expect(await V2.query.count({ pages__gte: 0 })).toBe(all.length);
    expect(await V2.query.count({ pages__gte: 1000 })).toBe(all.filter((b) => b.pages >= 1000).length);
    expect(await V2.query.count({ genre: "new" })).toBe(all.filter((b) => b.genre === "new").length);
    expect((await V2.checkIndexes()).counts).toMatchObject({ missing: 0, stale: 0, score: 0 });
  });

  it("a delete whose onDelete would read an unbuilt reverse set fails before deleting; after migrate it cascades", async () => {
    class Shelf extends Model("SchemaShelf", { name: KeyField() }) {}
    try {
      // Stored first with the shelf's key in a plain field: the same bytes a relationship stores.
      class Plain extends Model(NAME, { title: KeyField(), shelf: Field({ null: true }) }) {}
      const top = await Shelf.create({ name: "top" });
      await Plain.create({ title: "a", shelf: top.redisKey });
      unregisterModel(NAME);
      class WithShelf extends Model(NAME, {
        title: KeyField(),
        shelf: Relationship(Shelf, { null: true, onDelete: "cascade" }),
      }) {}
      const error = await top.delete().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(IndexNotBuiltError);
      expect(error).toMatchObject({ model: NAME, field: "shelf", index: "relationship:shelf" });
      expect((error as Error).message).toMatch(/onDelete would miss the referrers .* nothing was deleted/);
      expect(await Shelf.exists({ name: "top" })).toBe(true);
      await WithShelf.migrate();
      await top.delete();
      expect(await WithShelf.exists({ title: "a" })).toBe(false);
    } finally {
      unregisterModel("SchemaShelf");
    }
  });

  it("a new relationship over stored instances is refused until built", async () => {
    class Shelf extends Model("SchemaShelf", { name: KeyField() }) {}
    try {
      const V1 = defineV1();
      await V1.create({ title: "a", pages: 1, genre: "x" });
      unregisterModel(NAME);
      class WithShelf extends Model(NAME, {
        title: KeyField(),
        pages: Field({ type: "int" }),
        genre: Field(),
        shelf: Relationship(Shelf, { null: true }),
      }) {}
      const top = await Shelf.create({ name: "top" });
      expect(await codeOf(WithShelf.query.filter({ shelf: top }))).toBe("INDEX_NOT_BUILT");
      await WithShelf.migrate();
      expect(await WithShelf.query.count({ shelf: top })).toBe(0);
    } finally {
      unregisterModel("SchemaShelf");
    }
  });

  standaloneIt("the CLI runs in its own process with --url")(
    "npx popoto migrate: stops after --max-steps (exit 1), resumes on the next run (exit 0)",
    async () => {
      const V2 = await storedThenRedefined(300);
      const run = popotoCli("test/fixtures/schema-models.ts");
      const first = await run("migrate", "--model", NAME, "--batch-size", "20", "--max-steps", "2");
      expect(first.stderr).toBe("");
      expect(first.code).toBe(1);
      expect(first.stdout).toMatch(/SchemaBook .*stopped after 2 step\(s\)/);
      expect(first.stdout).toMatch(/run popoto migrate again to resume SchemaBook/);
      expect(await codeOf(V2.query.count({ pages__gte: 0 }))).toBe("INDEX_NOT_BUILT");
      const second = await run("migrate", "--model", NAME, "--batch-size", "20", "--json");
      expect(second.code).toBe(0);
      const json = JSON.parse(second.stdout) as {
        ok: boolean;
        models: { resumed: boolean; complete: boolean }[];
      };
      expect(json).toMatchObject({ ok: true, models: [{ resumed: true, complete: true }] });
      expect(await V2.query.count({ pages__gte: 0 })).toBe(300);
    },
    60_000,
  );
});
