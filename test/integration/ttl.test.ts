/**
 * Model option `ttl`: EXPIRE on every save; expired instances never show up in results or counts,
 * and the index entries they leave behind are cleaned when a query meets them.
 */
import { describe, expect, it } from "vitest";
import { Field, KeyField, Model, SortedField, UniqueKeyField } from "../../src/index.js";
import { members, sleep, specKeys, zmembers } from "../support/inspect.js";
import { allKeys, raw, useRedis } from "../support/redis.js";

useRedis();

class Session extends Model(
  "Session",
  {
    id: KeyField(),
    user: KeyField(),
    score: SortedField({ type: "int" }),
    region: Field(),
    amount: SortedField({ type: "int", partitionBy: "region" }),
  },
  { ttl: 60 },
) {}

class Flash extends Model("Flash", { id: KeyField(), n: SortedField({ type: "int" }) }, { ttl: 1 }) {}

class Login extends Model("Login", { email: UniqueKeyField(), device: KeyField() }, { ttl: 60 }) {}

class Forever extends Model("Forever", { id: KeyField() }) {}

/** Expires a hash now, deterministically. */
const expireNow = async (key: string): Promise<void> => {
  await raw.pexpire(key, 1);
  for (let i = 0; i < 100 && (await raw.exists(key)) === 1; i++) await sleep(2);
  expect(await raw.exists(key)).toBe(0);
};

const seed = async (): Promise<void> => {
  await Session.create({ id: "s1", user: "ann", score: 10, region: "eu", amount: 1 });
  await Session.create({ id: "s2", user: "ann", score: 20, region: "us", amount: 2 });
  await Session.create({ id: "s3", user: "bob", score: 30, region: "eu", amount: 3 });
};

describe("ttl", () => {
  it("sets EXPIRE on the hash at every save", async () => {
    const s = await Session.create({ id: "s", user: "u", score: 1, region: "eu", amount: 1 });
    const ttl = await raw.ttl("Session:s:u");
    expect(ttl).toBeGreaterThan(55);
    expect(ttl).toBeLessThanOrEqual(60);
    await raw.expire("Session:s:u", 5);
    s.score = 2;
    await s.save();
    expect(await raw.ttl("Session:s:u")).toBeGreaterThan(55);
    // only the hash expires: the spec's index structures do not
    for (const key of await specKeys()) {
      if (key.startsWith("$")) expect(await raw.ttl(key), key).toBe(-1);
    }
    await Forever.create({ id: "f" });
    expect(await raw.ttl("Forever:f")).toBe(-1);
  });

  it("sets the ttl on the new key when a key change moves the instance", async () => {
    const s = await Session.create({ id: "a", user: "u", score: 1, region: "eu", amount: 1 });
    s.id = "b";
    await s.save();
    expect(await raw.exists("Session:a:u")).toBe(0);
    expect(await raw.ttl("Session:b:u")).toBeGreaterThan(55);
  });

  it("an instance that really expires is gone from results and counts, and its entries are cleaned", async () => {
    await Flash.create({ id: "f1", n: 1 });
    await Flash.create({ id: "f2", n: 2 });
    expect(await raw.ttl("Flash:f1")).toBe(1);
    for (let i = 0; i < 60 && (await raw.exists("Flash:f1", "Flash:f2")) > 0; i++) await sleep(50);
    expect(await raw.exists("Flash:f1", "Flash:f2")).toBe(0);
    expect(await Flash.query.count()).toBe(0);
    expect(await Flash.query.count({ n__gte: 0 })).toBe(0);
    expect(await Flash.query.all()).toEqual([]);
    expect(await Flash.query.filter({ n__gte: 0 })).toEqual([]);
    expect(await allKeys()).toEqual([]);
  });

  it("never returns or counts an expired instance", async () => {
    await seed();
    await expireNow("Session:s1:ann");
    const ids = (rows: { id: string }[]): string[] => rows.map((r) => r.id).sort();
    expect(await Session.query.count()).toBe(2);
    expect(await Session.query.count({ user: "ann" })).toBe(1);
    expect(await Session.query.count({ score__lt: 100 })).toBe(2);
    expect(await Session.query.count({ score__gte: 5, user: "ann" })).toBe(1);
    expect(ids(await Session.query.all())).toEqual(["s2", "s3"]);
    expect(ids(await Session.query.filter({ user: "ann" }))).toEqual(["s2"]);
    expect(ids(await Session.query.filter({ score__gte: 0 }).orderBy("score"))).toEqual(["s2", "s3"]);
    expect(await Session.query.filter({ id: "s1" })).toEqual([]);
    expect(await Session.query.get({ id: "s1", user: "ann" })).toBeNull();
    expect(await Session.load({ id: "s1", user: "ann" })).toBeNull();
    expect((await Session.query.keys()).sort()).toEqual(["Session:s2:ann", "Session:s3:bob"]);
    expect(await Session.query.values("id")).not.toContainEqual({ id: "s1" });
    expect((await Session.query.orderBy("score").first())?.id).toBe("s2");
    expect(await Session.query.filter({ id__startswith: "s1" }).exists()).toBe(false);
  });

  it("cleans every index entry of an expired instance once a query meets it", async () => {
    await seed();
    await expireNow("Session:s1:ann");
    await Session.query.all();
    expect(await members("$Class:Session")).toEqual(["Session:s2:ann", "Session:s3:bob"]);
    expect(await raw.exists("$KeyF:Session:id:s1")).toBe(0);
    expect(await members("$KeyF:Session:user:ann")).toEqual(["Session:s2:ann"]);
    expect(await zmembers("$SortF:Session:score")).toEqual({ "Session:s2:ann": 20, "Session:s3:bob": 30 });
    // the partition came from a plain field whose value expired with the hash
    expect(await zmembers("$SortF:Session:amount:eu")).toEqual({ "Session:s3:bob": 3 });
    expect((await allKeys()).filter((k) => k.includes("s1"))).toEqual([]);
  });

  it("cleans the entries when a filtered query meets the expired instance", async () => {
    await seed();
    await expireNow("Session:s3:bob");
    expect(await Session.query.filter({ user: "bob" })).toEqual([]);
    expect(await raw.exists("$KeyF:Session:user:bob")).toBe(0);
    expect(await members("$Class:Session")).toEqual(["Session:s1:ann", "Session:s2:ann"]);
    expect(await zmembers("$SortF:Session:amount:eu")).toEqual({ "Session:s1:ann": 1 });
    expect((await allKeys()).filter((k) => k.includes("bob"))).toEqual([]);
  });

  it("after every instance expired and a query ran, nothing is left", async () => {
    await seed();
    for (const key of ["Session:s1:ann", "Session:s2:ann", "Session:s3:bob"]) await expireNow(key);
    expect(await Session.query.all()).toEqual([]);
    expect(await allKeys()).toEqual([]);
  });

  it("re-creating an expired instance leaves only the new entries", async () => {
    await Session.create({ id: "s", user: "u", score: 5, region: "eu", amount: 5 });
    await expireNow("Session:s:u");
    await Session.create({ id: "s", user: "u", score: 6, region: "us", amount: 6 });
    expect(await zmembers("$SortF:Session:score")).toEqual({ "Session:s:u": 6 });
    expect(await raw.exists("$SortF:Session:amount:eu")).toBe(0);
    expect(await zmembers("$SortF:Session:amount:us")).toEqual({ "Session:s:u": 6 });
    expect(await Session.query.count()).toBe(1);
  });

  it("a stale copy of an expired instance saves it again cleanly", async () => {
    const s = await Session.create({ id: "s", user: "u", score: 5, region: "eu", amount: 5 });
    await expireNow("Session:s:u");
    s.region = "us";
    await s.save();
    expect(await raw.exists("$SortF:Session:amount:eu")).toBe(0);
    expect(await zmembers("$SortF:Session:amount:us")).toEqual({ "Session:s:u": 5 });
    expect(await raw.ttl("Session:s:u")).toBeGreaterThan(55);
  });

  it("a key change onto the key of an expired instance succeeds and cleans its leftovers", async () => {
    await Session.create({ id: "old", user: "u", score: 1, region: "eu", amount: 1 });
    await expireNow("Session:old:u");
    const mover = await Session.create({ id: "mover", user: "u", score: 2, region: "us", amount: 2 });
    mover.id = "old";
    await mover.save();
    expect(await members("$Class:Session")).toEqual(["Session:old:u"]);
    expect(await zmembers("$SortF:Session:score")).toEqual({ "Session:old:u": 2 });
    expect(await raw.exists("$SortF:Session:amount:eu")).toBe(0);
    expect(await zmembers("$SortF:Session:amount:us")).toEqual({ "Session:old:u": 2 });
    expect(await raw.exists("$KeyF:Session:id:mover")).toBe(0);
  });

  it("a unique value held by an expired instance can be taken", async () => {
    await Login.create({ email: "a@x", device: "phone" });
    await expireNow("Login:phone:a@x");
    const login = await Login.create({ email: "a@x", device: "laptop" });
    expect(login.redisKey).toBe("Login:laptop:a@x");
    expect(await members("$UniqueKeyF:Login:email:a@x")).toEqual(["Login:laptop:a@x"]);
    expect(await members("$Class:Login")).toEqual(["Login:laptop:a@x"]);
    expect(await raw.exists("$KeyF:Login:device:phone")).toBe(0);
  });

  it("deleting an expired instance reports it missing and cleans its entries", async () => {
    const s = await Session.create({ id: "s", user: "u", score: 5, region: "eu", amount: 5 });
    await expireNow("Session:s:u");
    expect(await s.delete()).toBe(false);
    expect(await allKeys()).toEqual([]);
  });

  it("pages past expired instances: offset and limit count live rows only", async () => {
    for (let i = 1; i <= 6; i++) {
      await Session.create({ id: `p${i}`, user: "u", score: i, region: "eu", amount: i });
    }
    await expireNow("Session:p2:u");
    await expireNow("Session:p4:u");
    const page = await Session.query.orderBy("score").offset(1).limit(2);
    expect(page.map((s) => s.id)).toEqual(["p3", "p5"]);
    expect(
      (await Session.query.filter({ score__gte: 1 }).orderBy("-score").limit(3)).map((s) => s.id),
    ).toEqual(["p6", "p5", "p3"]);
    expect(await Session.query.count({ score__between: [1, 4] })).toBe(2);
  });
});

describe("a hash deleted behind popoto's back (no ttl)", () => {
  it("is skipped by queries, and the entries its key names are purged", async () => {
    await Forever.create({ id: "kept" });
    await Forever.create({ id: "gone" });
    await raw.del("Forever:gone");
    expect((await Forever.query.all()).map((f) => f.id)).toEqual(["kept"]);
    expect(await members("$Class:Forever")).toEqual(["Forever:kept"]);
    expect(await raw.exists("$KeyF:Forever:id:gone")).toBe(0);
    expect(await Forever.query.count()).toBe(1);
    expect(await Forever.query.filter({ id__startswith: "go" })).toEqual([]);
  });
});
