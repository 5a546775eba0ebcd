/**
 * Reads of a sharded model that merge buckets: page(cursor) and the aggregates agree with the
 * unsharded model (the same data written to a model with `shards: 24`, one sharded by a
 * relationship, and one without; the same queries run on each, the answers compared by key body,
 * the key after the model tag). Runs on standalone and on the cluster pass.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  configureQueryLimits,
  IndexedField,
  InvalidCursorError,
  KeyField,
  Model,
  Relationship,
  SortedField,
} from "../../src/index.js";
import { keyBody } from "../../src/keys/keys.js";
import { countTraffic } from "../support/round-trips.js";
import { useRedis } from "../support/redis.js";

useRedis();

afterEach(() => {
  configureQueryLimits({ reset: true });
});

class RHost extends Model("RHost", { name: KeyField(), region: IndexedField() }) {}
const fields = () => ({
  id: KeyField(),
  kind: IndexedField(),
  rank: SortedField({ type: "int" }),
  weight: SortedField({ type: "float" }),
  host: Relationship(RHost),
});
class RFlat extends Model("RFlat", fields()) {}
class RShard extends Model("RShard", fields(), { shards: 24 }) {}
class RByHost extends Model("RByHost", fields(), { shards: 24, shardBy: "host" }) {}

const KINDS = ["a", "b", "c"];
const HOSTS = ["h0", "h1", "h2", "h3"];
const MODELS = [RFlat, RShard, RByHost] as unknown as (typeof RFlat)[];
const h = (name: string) => `RHost:${name}`;

/** The same values written to every model; ranks repeat (every 37) so pages hold ties across buckets. */
async function write(from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    const values = {
      id: `e${String(i).padStart(3, "0")}`,
      kind: KINDS[i % 3] as string,
      rank: (i * 7) % 37,
      weight: ((i * 13) % 29) / 4,
      host: i % 9 === 0 ? null : h(HOSTS[i % 4] as string),
    };
    for (const model of MODELS) await model.create(values);
  }
}

beforeEach(async () => {
  for (const [i, name] of HOSTS.entries()) await RHost.create({ name, region: i % 2 ? "east" : "west" });
  await write(0, 90);
});

type AnyQuery = ReturnType<typeof RFlat.query.filter>;
type PageCase = readonly [name: string, build: (model: typeof RFlat) => AnyQuery];

const PAGE_CASES: PageCase[] = [
  ["orderBy a sorted field", (m) => m.query.orderBy("rank").limit(7)],
  ["orderBy descending", (m) => m.query.orderBy("-rank").limit(13)],
  ["orderBy a float field, pages of 1", (m) => m.query.filter({ kind: "b" }).orderBy("-weight").limit(1)],
  ["no orderBy: key order", (m) => m.query.limit(11)],
  ["no orderBy with a sorted range: its score order", (m) => m.query.filter({ rank__gte: 12 }).limit(6)],
  [
    "a filter and orderBy",
    (m) =>
      m.query
        .filter({ kind__in: ["a", "c"] })
        .orderBy("-rank")
        .limit(9),
  ],
  [
    "by relationship (one bucket when sharded by it)",
    (m) =>
      m.query
        .filter({ host: h("h2") })
        .orderBy("rank")
        .limit(4),
  ],
  ["through a relationship", (m) => m.query.filter({ host__region: "east" }).orderBy("rank").limit(8)],
  ["nothing matches", (m) => m.query.filter({ kind: "zzz" }).orderBy("rank").limit(3)],
];

/** Every page of a query, following `next` until it is null, as key bodies. */
async function allPages(query: AnyQuery): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page: { items: RFlat[]; next: string | null } = await query.page(cursor);
    pages.push(page.items.map((item) => keyBody(item.redisKey)));
    cursor = page.next;
    if (pages.length > 200) throw new Error("no end of pages");
  } while (cursor !== null);
  return pages;
}

const sharded = [
  ["shards: 24", RShard],
  ["shards: 24, shardBy: host", RByHost],
] as unknown as [string, typeof RFlat][];

describe.each(sharded)("page() of a sharded model (%s) gives the unsharded model's pages", (_, Sharded) => {
  it.each(PAGE_CASES)("%s", async (_name, build) => {
    const expected = await allPages(build(RFlat));
    expect(await allPages(build(Sharded))).toEqual(expected);
    // and the pages are the whole ordered result of the unsharded model
    expect(expected.flat()).toEqual((await build(RFlat).limit(1000)).map((item) => keyBody(item.redisKey)));
  });

  it("is stable when rows are added, deleted or moved between pages, as the unsharded model's", async () => {
    const pageOf = async (model: typeof RFlat, cursor: string | null) => {
      const page = await model.query.orderBy("-rank").limit(10).page(cursor);
      return { bodies: page.items.map((item) => keyBody(item.redisKey)), next: page.next, items: page.items };
    };
    const flat1 = await pageOf(RFlat, null);
    const shard1 = await pageOf(Sharded, null);
    expect(shard1.bodies).toEqual(flat1.bodies);
    for (const model of [RFlat, Sharded]) {
      // Before the cursor: a new top row and one of page 1 deleted; the cursor's own row deleted;
      // a row after the cursor moved ahead of it; a row added right after the cursor's place.
      const first = (await model.load({ id: flat1.bodies[0] as string })) as RFlat;
      const last = (await model.load({ id: flat1.bodies[9] as string })) as RFlat;
      await first.delete();
      await last.delete();
      await model.create({ id: "z-top", kind: "a", rank: 99, weight: 1, host: h("h1") });
      await model.create({ id: `${last.id}0`, kind: "b", rank: last.rank, weight: 1, host: h("h3") });
      const mover = (await model.query.filter({ rank__lt: last.rank }).orderBy("-rank").first()) as RFlat;
      mover.rank = 98;
      await mover.save();
    }
    const flat2 = await pageOf(RFlat, flat1.next);
    const shard2 = await pageOf(Sharded, shard1.next);
    expect(flat2.bodies).toHaveLength(10);
    expect(shard2.bodies).toEqual(flat2.bodies);
    expect(shard2.bodies).not.toContain("z-top");
    expect((await pageOf(Sharded, shard2.next)).bodies).toEqual((await pageOf(RFlat, flat2.next)).bodies);
  });

  it("answers the same when each bucket's page is read in bounded steps", async () => {
    // An __in of more keys than one script call may carry: every bucket answers in steps.
    const ids = Array.from({ length: 40 }, (_, i) => `e${String(i * 2).padStart(3, "0")}`);
    const query = (m: typeof RFlat) => m.query.filter({ id__in: ids }).orderBy("rank").limit(5);
    const inOne = await allPages(query(Sharded));
    configureQueryLimits({ scriptBudget: 10, maxScriptArgs: 10, chunkSize: 10 });
    const stepped = await countTraffic(() => allPages(query(Sharded)));
    expect(stepped.commands).toContain("ZMSCORE"); // the scores read in steps, not in a script
    expect(stepped.result).toEqual(inOne);
    expect(inOne).toEqual(await allPages(query(RFlat)));
    expect(inOne.flat()).toHaveLength(40);
  });
});

describe("page() of a sharded model: cost and cursors", () => {
  it("sends one script call per bucket for page 1 and for a far page alike", async () => {
    const query = RShard.query.orderBy("rank").limit(3);
    const first = await countTraffic(() => query.page());
    let cursor = first.result.next;
    for (let i = 0; i < 20; i++) cursor = (await query.page(cursor)).next;
    const far = await countTraffic(() => query.page(cursor));
    const scripts = (commands: readonly string[]) => commands.filter((c) => c.startsWith("EVAL")).length;
    expect(scripts(first.commands)).toBe(24);
    expect(scripts(far.commands)).toBe(24);
    expect(far.commands.length).toBe(first.commands.length);
    expect(far.result.items).toHaveLength(3);
  });

  it("refuses a cursor of another query or model", async () => {
    const { next } = await RShard.query.orderBy("rank").limit(5).page();
    expect(next).not.toBeNull();
    await expect(RShard.query.orderBy("-rank").limit(5).page(next)).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(RFlat.query.orderBy("rank").limit(5).page(next)).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(RByHost.query.orderBy("rank").limit(5).page(next)).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
  });
});

type AggregateCase = readonly [name: string, build: (model: typeof RFlat) => AnyQuery];
const AGGREGATE_CASES: AggregateCase[] = [
  ["every instance", (m) => m.query],
  ["an indexed value", (m) => m.query.filter({ kind: "b" })],
  ["a sorted range", (m) => m.query.filter({ rank__gte: 10, rank__lt: 30 })],
  ["a relationship (one bucket when sharded by it)", (m) => m.query.filter({ host: h("h1") })],
  ["through a relationship", (m) => m.query.filter({ host__region: "west" })],
  ["nothing", (m) => m.query.filter({ kind: "zzz" })],
];

/** Every aggregate of a query; countBy as sorted entries (equal counts have no set order). */
async function aggregates(query: AnyQuery) {
  const groups = async (field: "kind" | "id") =>
    [...(await query.countBy(field))].map(([value, n]) => `${String(value)}=${n}`).sort();
  return {
    count: await query.count(),
    sum: await query.sum("rank"),
    avg: await query.avg("rank"),
    weight: await query.sum("weight"),
    min: await query.min("rank"),
    max: await query.max("rank"),
    minWeight: await query.min("weight"),
    maxWeight: await query.max("weight"),
    kinds: await groups("kind"),
    ids: await groups("id"),
  };
}

describe.each(sharded)("aggregates of a sharded model (%s) equal the unsharded model's", (_, Sharded) => {
  it.each(AGGREGATE_CASES)("%s", async (_name, build) => {
    const expected = await aggregates(build(RFlat));
    const actual = await aggregates(build(Sharded));
    // Floats summed in another order may differ in the last bits.
    expect(actual.weight).toBeCloseTo(expected.weight, 9);
    expect({ ...actual, weight: 0 }).toEqual({ ...expected, weight: 0 });
  });

  it("avg is the total sum over the total count, not an average of the buckets' averages", async () => {
    // Buckets of very different sizes: one instance of rank 1000 alone in its bucket.
    await RFlat.create({ id: "heavy", kind: "a", rank: 1000, weight: 0, host: null });
    await Sharded.create({ id: "heavy", kind: "a", rank: 1000, weight: 0, host: null });
    const all = await RFlat.query.values("rank");
    const mean = all.reduce((total, row) => total + row.rank, 0) / all.length;
    expect(await Sharded.query.avg("rank")).toBeCloseTo(mean, 9);
    expect(await Sharded.query.avg("rank")).toBe(await RFlat.query.avg("rank"));
  });

  it("computes the same figures in bounded steps", async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `e${String(i * 2 + 1).padStart(3, "0")}`);
    const query = (m: typeof RFlat) => m.query.filter({ id__in: ids, kind__in: ["a", "b"] });
    const expected = await aggregates(query(RFlat));
    configureQueryLimits({ scriptBudget: 10, maxScriptArgs: 10, chunkSize: 10 });
    const { result: actual, commands } = await countTraffic(() => aggregates(query(Sharded)));
    expect(commands).toContain("ZMSCORE"); // the scores read in steps, not in a script
    expect(actual.count).toBeGreaterThan(20);
    expect(actual.weight).toBeCloseTo(expected.weight, 9);
    expect({ ...actual, weight: 0 }).toEqual({ ...expected, weight: 0 });
  });
});

describe("aggregates of a sharded model: fan-out", () => {
  it("sends one script call per bucket, or one when the filter gives shardBy", async () => {
    const all = await countTraffic(() => RShard.query.sum("rank"));
    expect(all.commands.filter((c) => c.startsWith("EVAL"))).toHaveLength(24);
    const one = await countTraffic(() => RByHost.query.filter({ host: h("h0") }).countBy("kind"));
    expect(one.commands.filter((c) => c.startsWith("EVAL"))).toHaveLength(1);
    expect([...one.result.values()].reduce((a, b) => a + b, 0)).toBe(
      await RFlat.query.filter({ host: h("h0") }).count(),
    );
  });
});
