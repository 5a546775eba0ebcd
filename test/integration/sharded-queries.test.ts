/**
 * Sharded queries agree with the unsharded model: the same data written to a model with
 * `shards: 24` and to one without, the same query cases run on both, the answers compared (keys
 * by their body, the key after the model tag). Runs on standalone and on the cluster pass.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  connect,
  Field,
  GeoField,
  IndexedField,
  KeyField,
  Model,
  Relationship,
  SortedField,
  type CommandEvent,
  not,
  or,
} from "../../src/index.js";
import { keyBody } from "../../src/keys/keys.js";
import { clusterUrls, connectTestRedis, ON_CLUSTER, TEST_URL, useRedis } from "../support/redis.js";

useRedis();

class QHost extends Model("QHost", { name: KeyField(), region: IndexedField() }) {}
const fields = () => ({
  id: KeyField(),
  kind: IndexedField(),
  code: IndexedField({ lexIndex: true }),
  rank: SortedField({ type: "int" }),
  label: Field({ null: true }),
  host: Relationship(QHost),
  place: GeoField({ null: true }),
});
class QFlat extends Model("QFlat", fields()) {}
class QShard extends Model("QShard", fields(), { shards: 24 }) {}
class QByHost extends Model("QByHost", fields(), { shards: 24, shardBy: "host" }) {}

const KINDS = ["a", "b", "c"];
const HOSTS = ["h0", "h1", "h2", "h3"];

beforeEach(async () => {
  const hosts = await Promise.all(
    HOSTS.map((name, i) => QHost.create({ name, region: i % 2 ? "east" : "west" })),
  );
  for (let i = 0; i < 90; i++) {
    const values = {
      id: `e${String(i).padStart(2, "0")}`,
      kind: KINDS[i % 3] as string,
      code: `c${i % 20}`,
      rank: (i * 7) % 37,
      label: i % 5 === 0 ? null : `L${(i * 3) % 11}`,
      host: i % 9 === 0 ? null : (hosts[i % 4] as QHost),
      place: i % 4 === 0 ? null : { latitude: 40 + (i % 10) / 10, longitude: 12 + (i % 7) / 10 },
    };
    await QFlat.create(values);
    await QShard.create(values);
    await QByHost.create(values);
  }
});

type AnyQuery = ReturnType<typeof QFlat.query.filter>;
type Case = readonly [name: string, build: (model: typeof QFlat) => AnyQuery, ordered: boolean];

const h = (name: string) => `QHost:${name}`;
const CASES: Case[] = [
  ["everything", (m) => m.query.filter({}), false],
  ["by an indexed value", (m) => m.query.filter({ kind: "a" }), false],
  ["__in", (m) => m.query.filter({ kind__in: ["a", "c"] }), false],
  ["a sorted range (score order)", (m) => m.query.filter({ rank__gte: 10, rank__lt: 30 }), true],
  ["a sorted range, paged", (m) => m.query.filter({ rank__gte: 5 }).offset(4).limit(9), true],
  ["orderBy a sorted field, paged", (m) => m.query.orderBy("rank").offset(3).limit(7), true],
  ["orderBy descending, paged", (m) => m.query.orderBy("-rank").offset(10).limit(12), true],
  ["orderBy descending, no page", (m) => m.query.filter({ kind: "b" }).orderBy("-rank"), true],
  ["orderBy a plain field (client order), paged", (m) => m.query.orderBy("label").offset(5).limit(20), true],
  ["orderBy two fields", (m) => m.query.orderBy("-label", "rank").limit(30), true],
  ["orderBy the key field, paged", (m) => m.query.orderBy("-id").offset(10).limit(10), true],
  ["paged without an order (key order)", (m) => m.query.offset(7).limit(11), true],
  ["by relationship", (m) => m.query.filter({ host: h("h1") }), false],
  ["relationship is null", (m) => m.query.filter({ host: null }), false],
  ["through a relationship", (m) => m.query.filter({ host__region: "east" }).orderBy("rank").limit(10), true],
  ["or / not", (m) => m.query.filter(or({ kind: "a" }, { rank__lt: 5 })).exclude({ code: "c3" }), false],
  ["not alone", (m) => m.query.filter(not({ kind: "a" })), false],
  ["startswith (lex index)", (m) => m.query.filter({ code__startswith: "c1" }).orderBy("id"), true],
  ["by key", (m) => m.query.filter({ id: "e42" }), false],
  ["by key __in", (m) => m.query.filter({ id__in: ["e01", "e50", "e77", "zz"] }), false],
  ["nothing", (m) => m.query.filter({ kind: "zzz" }).orderBy("rank").limit(3), true],
  [
    "geo within (nearest first)",
    (m) => m.query.filter({ place__within: { latitude: 40.4, longitude: 12.3, radius: 30, unit: "km" } }),
    true,
  ],
];

const bodies = (keys: readonly string[], ordered: boolean): string[] => {
  const list = keys.map(keyBody);
  return ordered ? list : list.sort();
};

const sharded = [
  ["shards: 24", QShard],
  ["shards: 24, shardBy: host", QByHost],
] as const;

describe.each(sharded)("a sharded model (%s) answers as the unsharded one", (_, Sharded) => {
  const other = Sharded as unknown as typeof QFlat;
  it.each(CASES)("%s", async (_name, build, ordered) => {
    const expected = await build(QFlat);
    const actual = await build(other);
    expect(expected.length).toBeGreaterThanOrEqual(0);
    expect(
      bodies(
        actual.map((i) => i.redisKey),
        ordered,
      ),
    ).toEqual(
      bodies(
        expected.map((i) => i.redisKey),
        ordered,
      ),
    );
    expect(bodies(await build(other).keys(), ordered)).toEqual(bodies(await build(QFlat).keys(), ordered));
    expect(await build(other).count()).toBe(await build(QFlat).count());
    expect(await build(other).exists()).toBe(await build(QFlat).exists());
    const values = async (m: typeof QFlat) =>
      (await build(m).values("id", "rank", "label")).map((r) => JSON.stringify(r));
    const want = await values(QFlat);
    const got = await values(other);
    expect(ordered ? got : got.sort()).toEqual(ordered ? want : want.sort());
  });

  it("iterates every match, bucket after bucket", async () => {
    const seen: string[] = [];
    for await (const event of other.query.filter({ kind__in: ["a", "b"] }).iterate({ batchSize: 7 }))
      seen.push(keyBody(event.redisKey));
    const expected = (await QFlat.query.filter({ kind__in: ["a", "b"] }).keys()).map(keyBody);
    expect(seen.sort()).toEqual(expected.sort());
  });

  it("loads included relationships as the unsharded model does", async () => {
    const got = await other.query.filter({ kind: "c" }).orderBy("rank").include("host");
    const want = await QFlat.query.filter({ kind: "c" }).orderBy("rank").include("host");
    expect(got.map((e) => e.host?.name ?? null)).toEqual(want.map((e) => e.host?.name ?? null));
  });

  it("finds the nearest with their distances", async () => {
    const centre = { latitude: 40.4, longitude: 12.3, radius: 30, unit: "km" } as const;
    const got = await other.query.filter({ place__within: centre }).nearest();
    const want = await QFlat.query.filter({ place__within: centre }).nearest();
    expect(got.map((r) => [r.instance.id, r.distance])).toEqual(want.map((r) => [r.instance.id, r.distance]));
  });

  it("searches around another instance (geo member) as the unsharded model does", async () => {
    const around = async (m: typeof QFlat) => {
      const centre = (await m.load({ id: "e01" })) as QFlat;
      const found = await m.query.filter({
        place__within: { member: centre.redisKey, radius: 20, unit: "km" },
      });
      return found.map((e) => e.id);
    };
    const want = await around(QFlat);
    expect(want.length).toBeGreaterThan(3);
    expect(await around(other)).toEqual(want);
  });

  it("get() by key fields and by a filter", async () => {
    expect((await other.query.get({ id: "e17" }))?.rank).toBe((await QFlat.query.get({ id: "e17" }))?.rank);
    expect((await other.query.get({ code: "c3", kind: "a", host: null }))?.id).toBe(
      (await QFlat.query.get({ code: "c3", kind: "a", host: null }))?.id,
    );
  });
});

describe("explain() of a sharded query", () => {
  it("shows a fan-out over every bucket, or over one when the filter gives shardBy", async () => {
    const all = await QShard.query.orderBy("rank").limit(5).explain();
    expect(all.fanOut).toMatchObject({ shards: 24, scriptCalls: 24, merge: "k-way top offset+limit" });
    expect(all.fanOut?.buckets).toHaveLength(24);
    expect(all.indexKeys.every((k) => k.includes("{QShard#0."))).toBe(true);
    const one = await QByHost.query.filter({ host: h("h2"), kind: "a" }).explain();
    expect(one.fanOut?.buckets).toHaveLength(1);
    expect(one.fanOut?.scriptCalls).toBe(1);
    expect(await QByHost.query.filter({ host: h("h2"), kind: "a" }).count()).toBe(
      await QFlat.query.filter({ host: h("h2"), kind: "a" }).count(),
    );
    expect((await QFlat.query.explain()).fanOut).toBeUndefined();
  });

  it("describes the masters, page() and the aggregates", async () => {
    const { fanOut } = await QShard.query.filter({ kind: "a" }).orderBy("rank").limit(3).explain();
    if (!fanOut) throw new Error("no fanOut");
    // Every bucket is on exactly one master, and each master gets one call per bucket it holds.
    const held = fanOut.masters.flatMap((m) => m.buckets).sort((a, b) => a - b);
    expect(held).toEqual([...fanOut.buckets].sort((a, b) => a - b));
    for (const m of fanOut.masters) expect(m.scriptCalls).toBe(m.buckets.length);
    expect(fanOut.masters.reduce((n, m) => n + m.scriptCalls, 0)).toBe(24);
    expect(new Set(fanOut.masters.map((m) => m.master)).size).toBe(fanOut.masters.length);
    expect(fanOut.masters).toHaveLength(ON_CLUSTER ? 3 : 1); // 24 buckets split evenly over 3 masters
    if (ON_CLUSTER) for (const m of fanOut.masters) expect(m.scriptCalls).toBe(8);
    expect(fanOut.page).toMatchObject({ scriptCalls: 24, command: "query.lua", rowsPerCall: 4 });
    expect(fanOut.page.merge).toMatch(/^k-way/);
    expect(fanOut.count).toEqual({ scriptCalls: 24, command: "scard", merge: "add" });
    expect(fanOut.avg).toMatchObject({ scriptCalls: 24, merge: "total sum / total count" });
    for (const step of [fanOut.sum, fanOut.min, fanOut.max, fanOut.countBy])
      expect(step).toMatchObject({ scriptCalls: 24, command: "query.lua" });
    // Two index sets: the count needs query.lua in each bucket.
    const both = (await QShard.query.filter({ kind: "a", code: "c3" }).explain()).fanOut;
    expect(both?.count.command).toBe("query.lua");
    const one = (await QByHost.query.filter({ host: h("h2") }).explain()).fanOut;
    expect(one?.masters).toHaveLength(1);
    expect(one?.countBy.scriptCalls).toBe(1);
    expect(one?.page.rowsPerCall).toBeUndefined();
  });

  afterEach(async () => {
    await connectTestRedis(); // back to the suite's plain connection
  });

  it("counts the commands that count() and sum() send", async () => {
    const query = QShard.query.filter({ kind: "b" });
    const { fanOut } = await query.explain();
    const events: CommandEvent[] = [];
    await connect({
      ...(ON_CLUSTER ? { cluster: clusterUrls() } : { url: TEST_URL }),
      onCommand: (e) => events.push(e),
    });
    const flat = await QFlat.query.count({ kind: "b" });
    await query.count(); // reads the fingerprints first: counted apart
    events.length = 0;
    expect(await query.count()).toBe(flat);
    await query.sum("rank");
    await new Promise((resolve) => setImmediate(resolve)); // replies are reported as they settle
    expect(events.filter((e) => e.name === "SCARD")).toHaveLength(fanOut?.count.scriptCalls ?? -1);
    expect(events.filter((e) => e.script === "query")).toHaveLength(fanOut?.sum.scriptCalls ?? -1);
  });
});
