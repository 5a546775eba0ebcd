/**
 * Writes under contention (issue 9): operations that commute never fail, saves of one row that
 * change different fields all survive, optimistic locking on request. Real Redis, counted
 * outcomes and stored bytes; no timing.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  ConcurrentModificationError,
  DecimalField,
  Field,
  FloatField,
  IntField,
  KeyField,
  Model,
  Relationship,
  SortedField,
  isPopotoError,
} from "../../src/index.js";
import { encodeValue } from "../../src/model/hash.js";
import { raw, signalClient, useRedis, workerTarget } from "../support/redis.js";
import { runWorker } from "../support/run-worker.js";

useRedis();

class Counter extends Model("Counter", {
  name: KeyField(),
  hits: SortedField({ type: "int" }),
  plain: IntField({ default: 0 }),
}) {}

class Gauge extends Model("Gauge", {
  name: KeyField(),
  level: SortedField({ type: "float" }),
  ratio: FloatField({ default: 0 }),
  price: DecimalField({ default: "0.00" }),
}) {}

class Tag extends Model("Tag", { name: KeyField() }) {}
class Post extends Model("Post", {
  slug: KeyField(),
  tags: Relationship(Tag, { many: true }),
}) {}

/** 64 fields to change one each: plain, sorted, indexed by value, and a partition. */
const wideFields: Record<string, ReturnType<typeof Field>> = { id: KeyField() };
for (let i = 0; i < 48; i++) wideFields[`p${i}`] = Field({ type: "int", default: 0 });
for (let i = 0; i < 8; i++) wideFields[`s${i}`] = SortedField({ type: "int" });
for (let i = 0; i < 8; i++) wideFields[`k${i}`] = Field({ default: "a" });
const WideModel = Model("Wide", wideFields);
/** Built from a field list, so its instances are used as records here. */
const Wide = WideModel as unknown as {
  create(values: Record<string, unknown>): Promise<unknown>;
  load(
    key: Record<string, unknown>,
  ): Promise<(Record<string, unknown> & { save(): Promise<unknown> }) | null>;
  checkIndexes: (typeof WideModel)["checkIndexes"];
};
const wideNames = Object.keys(wideFields).filter((f) => f !== "id");

const settled = async (promises: Promise<unknown>[]): Promise<{ ok: number; errors: unknown[] }> => {
  const results = await Promise.allSettled(promises);
  const errors = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  return { ok: results.length - errors.length, errors };
};

describe("atomicIncrement under contention", () => {
  it("200 at once from one process: none fails, the sum is exact, the sorted index agrees", async () => {
    await Counter.create({ name: "c", hits: 0 });
    const copies = await Promise.all(Array.from({ length: 4 }, () => Counter.load({ name: "c" })));
    const { errors } = await settled(
      Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0 ? copies[i % 4]!.atomicIncrement("hits", 3) : copies[i % 4]!.atomicIncrement("plain", 1),
      ),
    );
    expect(errors).toEqual([]);
    const stored = await Counter.load({ name: "c" });
    expect(stored?.hits).toBe(300);
    expect(stored?.plain).toBe(100);
    expect(await raw.zscore("$SortF:Counter:hits", "Counter:c")).toBe("300");
    expect((await Counter.checkIndexes()).differences).toEqual([]);
  });

  it("4 processes × 50 at once: none fails, the sum is exact, the sorted index agrees", async () => {
    await Counter.create({ name: "c", hits: 10 });
    const run = Math.random().toString(36).slice(2);
    const worker = fileURLToPath(new URL("../support/contention-worker.ts", import.meta.url));
    const signal = signalClient();
    try {
      const finished = [0, 1, 2, 3].map((i) =>
        runWorker<{ failed: number; first: string | null }>(worker, [workerTarget(), run, "50"], `w${i}`),
      );
      for (let i = 0; i < 4; i++)
        expect(await signal.blpop(`contention:${run}:ready`, 120), "a worker became ready").not.toBeNull();
      await signal.rpush(`contention:${run}:go`, "go", "go", "go", "go");
      const outcomes = await Promise.all(finished);
      expect(outcomes).toEqual([0, 1, 2, 3].map(() => ({ failed: 0, first: null })));
    } finally {
      await signal.quit();
    }
    const stored = await Counter.load({ name: "c" });
    expect(stored?.hits).toBe(10 + 4 * 25);
    expect(stored?.plain).toBe(4 * 25 * 2);
    expect(await raw.zscore("$SortF:Counter:hits", "Counter:c")).toBe(String(10 + 4 * 25));
    expect((await Counter.checkIndexes()).differences).toEqual([]);
  }, 180_000);

  it("floats and decimals: concurrent increments add up; floats are written as float64", async () => {
    await Gauge.create({ name: "g", level: 0.5 });
    const gauge = (await Gauge.load({ name: "g" }))!;
    const { errors } = await settled([
      ...Array.from({ length: 40 }, () => gauge.atomicIncrement("level", 0.25)),
      ...Array.from({ length: 40 }, () => gauge.atomicIncrement("ratio", 1)),
      ...Array.from({ length: 20 }, () => gauge.atomicIncrement("price", "0.10")),
    ]);
    expect(errors).toEqual([]);
    const stored = (await Gauge.load({ name: "g" }))!;
    expect(stored.level).toBe(10.5);
    expect(stored.ratio).toBe(40);
    expect(stored.price).toBe("2.00");
    // 40.0 is exact as a float32, which cmsgpack would write; popoto writes float64 (cb …).
    expect((await raw.hgetBuffer("Gauge:g", "ratio"))?.toString("hex")).toBe("cb4044000000000000");
    expect(await raw.zscore("$SortF:Gauge:level", "Gauge:g")).toBe("10.5");
  });

  it("an int written by the script has the bytes popoto and Python write, across every msgpack size", async () => {
    const counter = await Counter.create({ name: "c", hits: 0 });
    const spec = Counter.meta.fields.get("plain")!;
    const targets = [
      0,
      127,
      128,
      255,
      256,
      65535,
      65536,
      2 ** 32 - 1,
      2 ** 32,
      2 ** 53 - 1,
      0,
      -1,
      -32,
      -33,
      -128,
      -129,
      -32768,
      -32769,
      -(2 ** 31),
      -(2 ** 31) - 1,
      -(2 ** 53) + 1,
    ];
    let current = 0;
    for (const target of targets) {
      await counter.atomicIncrement("plain", target - current);
      current = target;
      expect((await raw.hgetBuffer("Counter:c", "plain"))?.toString("hex"), String(target)).toBe(
        encodeValue(spec, target).toString("hex"),
      );
      expect((await Counter.load({ name: "c" }))?.plain).toBe(target);
    }
  });

  it("a result the field cannot hold fails and writes nothing", async () => {
    const counter = await Counter.create({ name: "c", hits: Number.MAX_SAFE_INTEGER - 1 });
    const before = await raw.hgetallBuffer("Counter:c");
    const error = await counter.atomicIncrement("hits", 5).catch((e: unknown) => e);
    expect(isPopotoError(error, "VALIDATION")).toBe(true);
    expect(await raw.hgetallBuffer("Counter:c")).toEqual(before);
  });
});

describe("addRelated under contention", () => {
  it("200 at once: every member present in the list and in its reverse set", async () => {
    const tags = await Promise.all(Array.from({ length: 200 }, (_, i) => Tag.create({ name: `t${i}` })));
    await Post.create({ slug: "p" });
    const copies = await Promise.all(Array.from({ length: 8 }, () => Post.load({ slug: "p" })));
    const { errors } = await settled(tags.map((tag, i) => copies[i % 8]!.addRelated("tags", tag)));
    expect(errors).toEqual([]);
    const stored = (await Post.load({ slug: "p" }))!;
    expect(new Set(stored.tags.map((t) => t.redisKey))).toEqual(new Set(tags.map((t) => t.redisKey)));
    expect(stored.tags).toHaveLength(200);
    for (const tag of tags)
      expect(await raw.sismember(`$RelationshipF:Post:tags:${tag.redisKey}`, "Post:p")).toBe(1);
    expect(await raw.exists("$RelationshipF:Post:tags:None")).toBe(0);
    // the list's bytes are the ones popoto writes for the same value (array16, str8)
    expect((await raw.hgetBuffer("Post:p", "tags"))?.toString("hex")).toBe(
      encodeValue(
        Post.meta.fields.get("tags")!,
        stored.tags.map((t) => t.redisKey),
      ).toString("hex"),
    );
    // and removing them all at once leaves the None set
    const { errors: removeErrors } = await settled(
      tags.map((tag, i) => copies[i % 8]!.removeRelated("tags", tag)),
    );
    expect(removeErrors).toEqual([]);
    expect((await Post.load({ slug: "p" }))?.tags).toEqual([]);
    expect(await raw.smembers("$RelationshipF:Post:tags:None")).toEqual(["Post:p"]);
  });
});

describe("full saves of one row", () => {
  it("64 copies each changing a different field, saved at once: no error, every change kept", async () => {
    await Wide.create({
      id: "w",
      ...Object.fromEntries(wideNames.filter((f) => f.startsWith("s")).map((f) => [f, 0])),
    });
    const copies = await Promise.all(wideNames.map(() => Wide.load({ id: "w" })));
    const valueFor = (field: string): unknown => (field.startsWith("k") ? `v-${field}` : 7);
    const { errors } = await settled(
      wideNames.map((field, i) => {
        const copy = copies[i]!;
        copy[field] = valueFor(field);
        return copy.save();
      }),
    );
    expect(errors).toEqual([]);
    const stored = (await Wide.load({ id: "w" }))!;
    for (const field of wideNames) expect(stored[field], field).toEqual(valueFor(field));
    for (let i = 0; i < 8; i++) expect(await raw.zscore(`$SortF:Wide:s${i}`, "Wide:w")).toBe("7");
    expect((await Wide.checkIndexes()).differences).toEqual([]);
  });

  it("a save writes only the changed fields: other bytes, even ones popoto would write differently, stay", async () => {
    await Gauge.create({ name: "g", level: 1 });
    // Python could store 1.5 as a float32 (ca …) and add fields popoto does not declare.
    await raw.hset("Gauge:g", "ratio", Buffer.from("ca3fc00000", "hex"));
    await raw.hset("Gauge:g", "extra", Buffer.from("a3616263", "hex"));
    const gauge = (await Gauge.load({ name: "g" }))!;
    expect(gauge.ratio).toBe(1.5);
    gauge.price = "9.99";
    await gauge.save();
    expect((await raw.hgetBuffer("Gauge:g", "ratio"))?.toString("hex")).toBe("ca3fc00000");
    expect((await raw.hgetBuffer("Gauge:g", "extra"))?.toString("hex")).toBe("a3616263");
    expect((await Gauge.load({ name: "g" }))?.price).toBe("9.99");
    // a save with nothing changed writes no field
    const before = await raw.hgetallBuffer("Gauge:g");
    await gauge.save();
    expect(await raw.hgetallBuffer("Gauge:g")).toEqual(before);
  });

  it("a copy whose instance was deleted meanwhile saves it again in full", async () => {
    const counter = await Counter.create({ name: "c", hits: 1 });
    await (await Counter.load({ name: "c" }))!.delete();
    counter.plain = 5;
    await counter.save();
    expect((await Counter.load({ name: "c" }))?.toJSON()).toEqual({ name: "c", hits: 1, plain: 5 });
    expect((await Counter.checkIndexes()).differences).toEqual([]);
  });
});

describe("save({ ifUnchanged: true })", () => {
  it("on a stale copy fails with ConcurrentModificationError and writes nothing", async () => {
    await Counter.create({ name: "c", hits: 1 });
    const stale = (await Counter.load({ name: "c" }))!;
    const other = (await Counter.load({ name: "c" }))!;
    other.plain = 2; // a field the stale copy does not change
    await other.save();
    const before = await raw.hgetallBuffer("Counter:c");
    const zBefore = await raw.zrange("$SortF:Counter:hits", 0, -1, "WITHSCORES");
    stale.hits = 50;
    const error = await stale.save({ ifUnchanged: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrentModificationError);
    expect(isPopotoError(error, "CONCURRENT_MODIFICATION")).toBe(true);
    expect((error as ConcurrentModificationError).key).toBe("Counter:c");
    expect(await raw.hgetallBuffer("Counter:c")).toEqual(before);
    expect(await raw.zrange("$SortF:Counter:hits", 0, -1, "WITHSCORES")).toEqual(zBefore);
    // a fresh copy saves; then it is the stale one for nobody else
    const fresh = (await Counter.load({ name: "c" }))!;
    fresh.hits = 50;
    await fresh.save({ ifUnchanged: true });
    fresh.hits = 51;
    await fresh.save({ ifUnchanged: true });
    expect(await raw.zscore("$SortF:Counter:hits", "Counter:c")).toBe("51");
  });

  it("on a copy whose instance was deleted fails; on a new instance whose key exists fails", async () => {
    await Counter.create({ name: "c", hits: 1 });
    const copy = (await Counter.load({ name: "c" }))!;
    await (await Counter.load({ name: "c" }))!.delete();
    copy.hits = 2;
    expect(await copy.save({ ifUnchanged: true }).catch((e: unknown) => e)).toBeInstanceOf(
      ConcurrentModificationError,
    );
    expect(await raw.exists("Counter:c")).toBe(0);
    await Counter.create({ name: "c", hits: 1 });
    const error = await new Counter({ name: "c", hits: 9 })
      .save({ ifUnchanged: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConcurrentModificationError);
    expect((await Counter.load({ name: "c" }))?.hits).toBe(1);
  });
});
