/**
 * Per-instance expiry: `save({ ttl })` and `instance.expire(seconds)` keep indexes as exact as the
 * model-level `ttl` does (shadow hashes, existence checks), on models declared with a `ttl` or
 * with `expiring: true`; any other model refuses them before anything is written.
 */
import { describe, expect, it } from "vitest";
import {
  Field,
  isPopotoError,
  KeyField,
  Model,
  NotSavedError,
  SortedField,
  ValidationError,
} from "../../src/index.js";
import { caught, members, sleep, zmembers } from "../support/inspect.js";
import { allKeys, raw, useRedis } from "../support/redis.js";

useRedis();

class Token extends Model(
  "Token",
  { id: KeyField(), owner: KeyField(), uses: SortedField({ type: "int" }), note: Field({ null: true }) },
  { expiring: true },
) {}

class Visit extends Model("Visit", { id: KeyField(), n: SortedField({ type: "int" }) }, { ttl: 600 }) {}

class Plain extends Model("Plain", { id: KeyField() }) {}

/** Expires a hash now, deterministically. */
const expireNow = async (key: string): Promise<void> => {
  await raw.pexpire(key, 1);
  for (let i = 0; i < 100 && (await raw.exists(key)) === 1; i++) await sleep(2);
  expect(await raw.exists(key)).toBe(0);
};

describe("save({ ttl }) and expire()", () => {
  it("an expiring model's instances never expire unless given a ttl, and keep their shadows", async () => {
    await Token.create({ id: "t1", owner: "ann", uses: 1 });
    expect(await raw.ttl("Token:t1:ann")).toBe(-1);
    expect(await raw.hkeys("$IndexValues:Token:Token:t1:ann")).toEqual(
      expect.arrayContaining(["id", "owner", "uses"]),
    );
  });

  it("save({ ttl }) sets EXPIRE on the hash, in the write script, and nowhere else", async () => {
    const t = new Token({ id: "t", owner: "ann", uses: 1 });
    await t.save({ ttl: 120 });
    const ttl = await raw.ttl("Token:t:ann");
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
    for (const key of await allKeys()) if (key !== "Token:t:ann") expect(await raw.ttl(key), key).toBe(-1);
  });

  it("a later save without ttl keeps the expiry on an expiring model", async () => {
    const t = new Token({ id: "t", owner: "ann", uses: 1 });
    await t.save({ ttl: 120 });
    t.note = "changed";
    await t.save();
    expect(await raw.ttl("Token:t:ann")).toBeGreaterThan(100);
    t.owner = "bob"; // a key move renames the hash, and its expiry goes with it
    await t.save();
    expect(await raw.exists("Token:t:ann")).toBe(0);
    expect(await raw.ttl("Token:t:bob")).toBeGreaterThan(100);
  });

  it("on a model with a ttl, save({ ttl }) overrides it for that write and the next save restores it", async () => {
    const v = await Visit.create({ id: "v", n: 1 });
    expect(await raw.ttl("Visit:v")).toBeGreaterThan(500);
    await v.save({ ttl: 30 });
    expect(await raw.ttl("Visit:v")).toBeLessThanOrEqual(30);
    v.n = 2;
    await v.save();
    expect(await raw.ttl("Visit:v")).toBeGreaterThan(500);
  });

  it("expire() sets the expiry without writing a field, and after a partial save too", async () => {
    const t = await Token.create({ id: "t", owner: "ann", uses: 3, note: "n" });
    const before = await raw.hgetall("Token:t:ann");
    await t.expire(90);
    expect(await raw.ttl("Token:t:ann")).toBeGreaterThan(80);
    expect(await raw.ttl("Token:t:ann")).toBeLessThanOrEqual(90);
    expect(await raw.hgetall("Token:t:ann")).toEqual(before);
    t.note = "m";
    await t.save({ fields: ["note"], ttl: 500 });
    expect(await raw.ttl("Token:t:ann")).toBeGreaterThan(400);
    await t.atomicIncrement("uses", 1); // keeps the expiry on an expiring model without ttl
    expect(await raw.ttl("Token:t:ann")).toBeGreaterThan(400);
  });

  it("an instance given its own ttl that expires leaves no index entry behind once a query meets it", async () => {
    await Token.create({ id: "keep", owner: "ann", uses: 1 });
    const gone = new Token({ id: "gone", owner: "ann", uses: 2 });
    await gone.save({ ttl: 60 });
    await expireNow("Token:gone:ann");
    expect((await Token.query.filter({ owner: "ann" })).map((t) => t.id)).toEqual(["keep"]);
    expect(await Token.query.count({ uses__gte: 0 })).toBe(1);
    expect(await members("$Class:Token")).toEqual(["Token:keep:ann"]);
    expect(await members("$KeyF:Token:owner:ann")).toEqual(["Token:keep:ann"]);
    expect(await zmembers("$SortF:Token:uses")).toEqual({ "Token:keep:ann": 1 });
    expect((await allKeys()).filter((k) => k.includes("gone"))).toEqual([]);
    const report = await Token.checkIndexes();
    expect(report.differences).toEqual([]);
  });

  it("an instance given expire() that expires is never counted and its entries are cleaned", async () => {
    const t = await Token.create({ id: "e", owner: "bob", uses: 5 });
    await t.expire(60);
    await expireNow("Token:e:bob");
    expect(await Token.query.count()).toBe(0);
    expect(await Token.query.filter({ uses__gte: 0 })).toEqual([]);
    expect(await allKeys()).toEqual([]);
  });

  it("cursor pages and aggregates skip an instance that expired on an expiring model", async () => {
    // Each read meets the expired instance first (its index entries are still there), so each is
    // checked on its own: the first query to meet it also cleans its entries.
    await Token.create({ id: "a", owner: "cy", uses: 1 });
    const expired = async (id: string): Promise<void> => {
      const gone = await Token.create({ id, owner: "cy", uses: 2 });
      await gone.expire(60);
      await expireNow(`Token:${id}:cy`);
      expect(await members("$Class:Token")).toContain(`Token:${id}:cy`);
    };
    await expired("b");
    expect(await Token.query.sum("uses")).toBe(1);
    await expired("d");
    expect(await Token.query.countBy("owner")).toEqual(new Map([["cy", 1]]));
    await expired("e");
    const page = await Token.query.orderBy("uses").limit(10).page();
    expect(page.items.map((t) => t.id)).toEqual(["a"]);
  });

  it("refuses a ttl on a model that is not expiring, and a bad ttl, before writing anything", async () => {
    const p = new Plain({ id: "p" });
    const error = await caught(() => p.save({ ttl: 10 }), ValidationError);
    expect(error.code).toBe("VALIDATION");
    expect(error.message).toContain("expiring: true");
    expect(error.issues[0]?.field).toBe("ttl");
    expect(await allKeys()).toEqual([]);
    const t = new Token({ id: "x", owner: "ann", uses: 1 });
    for (const bad of [0, -5, 1.5, Number.NaN])
      expect(isPopotoError(await caught(() => t.save({ ttl: bad }), ValidationError), "VALIDATION")).toBe(
        true,
      );
    expect(await allKeys()).toEqual([]);
    await caught(() => t.expire(10), NotSavedError);
    await t.save();
    await caught(() => t.expire(0), ValidationError);
    expect(await raw.ttl("Token:x:ann")).toBe(-1);
  });

  it("expire() of an instance deleted meanwhile fails with NotSavedError and writes nothing", async () => {
    const t = await Token.create({ id: "d", owner: "ann", uses: 1 });
    await (await Token.load({ id: "d", owner: "ann" }))?.delete();
    await caught(() => t.expire(10), NotSavedError);
    expect(await allKeys()).toEqual([]);
  });
});
