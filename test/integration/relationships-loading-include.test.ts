/**
 * Loading related instances: never automatic (a loaded relationship is a Reference), never
 * crashing on cycles, and with `include()` one round trip per level for a whole result, not
 * one per instance.
 */
import { describe, expect, it } from "vitest";
import {
  CorruptDataError,
  KeyField,
  Model,
  QueryError,
  Reference,
  Relationship,
  SortedField,
} from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { raw, useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

class StarSign extends Model("StarSign", { name: KeyField() }) {
  get symbol(): string {
    return `*${this.name}*`;
  }
}
class Citizen extends Model("Citizen", {
  name: KeyField(),
  starSign: Relationship(StarSign),
  friend: Relationship("Citizen"),
}) {}
class Pass extends Model("Pass", {
  id: KeyField(),
  citizen: Relationship(Citizen),
  issuer: Relationship(Citizen),
  level: SortedField({ type: "int" }),
}) {}

/** Mutual references: Left -> Right -> Left, by registered name (a thunk cannot close a cycle of types). */
class Left extends Model("LoadLeft", { name: KeyField(), right: Relationship("LoadRight") }) {}
class Right extends Model("LoadRight", { name: KeyField(), left: Relationship("LoadLeft") }) {}

declare module "../../src/index.js" {
  interface Models {
    LoadLeft: typeof Left;
    LoadRight: typeof Right;
  }
}

class Topic extends Model("Topic", { name: KeyField() }) {}
class Article extends Model("Article", { id: KeyField(), topics: Relationship(Topic, { many: true }) }) {}

/** 3 star signs, 3 citizens, and `count` passes spread over them (some issued by a dangling key). */
async function world(count: number): Promise<{ citizens: Citizen[] }> {
  const signs = [await StarSign.create({ name: "Leo" }), await StarSign.create({ name: "Virgo" })];
  const citizens = [
    await Citizen.create({ name: "Ann", starSign: signs[0] }),
    await Citizen.create({ name: "Ben", starSign: signs[1] }),
    await Citizen.create({ name: "Cy", starSign: signs[0] }),
  ];
  for (let i = 0; i < count; i++)
    await Pass.create({
      id: `p${String(i).padStart(2, "0")}`,
      citizen: citizens[i % 3],
      issuer: i % 2 ? citizens[0] : "Citizen:Gone",
      level: i,
    });
  return { citizens };
}

describe("loading never follows relationships by itself", () => {
  it("load() is one HGETALL and leaves the relationship a Reference", async () => {
    await world(3);
    const { result, commands } = await countTraffic(() => Pass.load({ id: "p00" }));
    expect(commands).toEqual(["HGETALL"]);
    expect(result?.citizen).toBeInstanceOf(Reference);
    expect(result?.citizen?.redisKey).toBe("Citizen:Ann");
  });

  it("filter() is one round trip however many rows and targets, with References", async () => {
    await world(30);
    const { result, roundTrips } = await countTraffic(() => Pass.query.filter({ level__gte: 0 }).all());
    expect(result).toHaveLength(30);
    expect(roundTrips).toBe(1);
    expect(result.every((p) => p.citizen instanceof Reference && p.issuer instanceof Reference)).toBe(true);
  });

  it("get() by key and first() leave References too", async () => {
    await world(2);
    expect((await Pass.query.get({ id: "p01" }))?.citizen).toBeInstanceOf(Reference);
    expect((await Pass.query.orderBy("level").first())?.citizen).toBeInstanceOf(Reference);
  });

  it("load() of the Reference reads the target, built as the user's subclass", async () => {
    await world(1);
    const pass = await Pass.load({ id: "p00" });
    const { result: citizen, commands } = await countTraffic(async () => pass?.citizen?.load());
    expect(commands).toEqual(["HGETALL"]);
    expect(citizen).toBeInstanceOf(Citizen);
    const sign = await citizen?.starSign?.load();
    expect(sign).toBeInstanceOf(StarSign);
    expect(sign?.symbol).toBe("*Leo*");
  });

  it("a dangling Reference (deleted or never saved target) loads as null", async () => {
    await world(2);
    const pass = await Pass.load({ id: "p01" });
    expect(await pass?.issuer?.load()).not.toBeNull();
    const other = await Pass.load({ id: "p00" });
    expect(other?.issuer?.redisKey).toBe("Citizen:Gone");
    expect(await other?.issuer?.load()).toBeNull();
    await (await Citizen.load({ name: "Ann" }))!.delete();
    expect(await (await Pass.load({ id: "p01" }))?.issuer?.load()).toBeNull();
  });
});

describe("cycles never fail", () => {
  it("A -> B -> A loads around the cycle as often as asked", async () => {
    const left = new Left({ name: "l" });
    const right = new Right({ name: "r", left });
    left.right = right;
    await left.save();
    await right.save();
    let current: Left | null | undefined = await Left.load({ name: "l" });
    for (let i = 0; i < 5; i++) {
      const r: Right | null | undefined = await current?.right?.load();
      expect(r?.name).toBe("r");
      current = await r?.left?.load();
      expect(current?.name).toBe("l");
    }
  });

  it("a self reference, and include() around it, stop after the levels asked for", async () => {
    const ann = new Citizen({ name: "Ann" });
    ann.friend = ann;
    await ann.save();
    const ben = await Citizen.create({ name: "Ben", friend: ann });
    ann.friend = ben;
    await ann.save();
    const [loaded] = await Citizen.query.filter({ name: "Ann" }).include("friend.friend.friend");
    const f1 = loaded?.friend as Citizen;
    const f2 = f1.friend as Citizen;
    const f3 = f2.friend as Citizen;
    expect([f1.name, f2.name, f3.name]).toEqual(["Ben", "Ann", "Ben"]);
    expect(f3.friend).toBeInstanceOf(Reference);
    expect(f3.friend?.redisKey).toBe("Citizen:Ann");
  });

  it("a mutual cycle through include()", async () => {
    const left = new Left({ name: "l" });
    const right = new Right({ name: "r", left });
    left.right = right;
    await left.save();
    await right.save();
    const [found] = await Left.query.include("right.left.right");
    const r = found?.right as Right;
    const l = r.left as Left;
    expect(l.name).toBe("l");
    expect((l.right as Right).name).toBe("r");
    expect((l.right as Right).left).toBeInstanceOf(Reference);
  });

  it("a failed load (a corrupt target) leaves later loads working", async () => {
    await world(2);
    await raw.hset("Citizen:Ann", "name", Buffer.from([0xc1])); // 0xc1 is never valid msgpack
    const pass = await Pass.load({ id: "p00" });
    await caught(() => pass!.citizen!.load(), CorruptDataError);
    await caught(() => Pass.query.filter({ id: "p00" }).include("citizen").all(), CorruptDataError);
    const other = await Pass.load({ id: "p01" });
    expect((await other?.citizen?.load())?.name).toBe("Ben");
    expect((await Pass.query.filter({ id: "p01" }).include("citizen"))[0]?.citizen).toBeInstanceOf(Citizen);
  });
});

describe("include(): one round trip per level", () => {
  it("one level: two round trips for 30 rows, each distinct target read once, shared as one object", async () => {
    await world(30);
    const { result, roundTrips, commands } = await countTraffic(() =>
      Pass.query.filter({ level__gte: 0 }).orderBy("level").include("citizen").all(),
    );
    expect(roundTrips).toBe(2);
    expect(commands.filter((c) => c === "HGETALL")).toHaveLength(3);
    expect(result).toHaveLength(30);
    expect(result.every((p) => p.citizen instanceof Citizen)).toBe(true);
    expect(result.map((p) => (p.citizen as Citizen).name).slice(0, 4)).toEqual(["Ann", "Ben", "Cy", "Ann"]);
    expect(result[0]?.citizen).toBe(result[3]?.citizen);
  });

  it("two levels (citizen.starSign): three round trips", async () => {
    await world(30);
    const { result, roundTrips } = await countTraffic(() =>
      Pass.query.filter({ level__lt: 30 }).include("citizen.starSign").all(),
    );
    expect(roundTrips).toBe(3);
    for (const pass of result) {
      const citizen = pass.citizen as Citizen;
      expect(citizen).toBeInstanceOf(Citizen);
      expect(citizen.starSign).toBeInstanceOf(StarSign);
      expect((citizen.starSign as StarSign).symbol).toBe(citizen.name === "Ben" ? "*Virgo*" : "*Leo*");
    }
  });

  it("the cost does not grow with the number of rows", async () => {
    await world(40);
    const small = await countTraffic(() =>
      Pass.query.filter({ level__lt: 3 }).include("citizen.starSign", "issuer").all(),
    );
    const large = await countTraffic(() =>
      Pass.query.filter({ level__lt: 40 }).include("citizen.starSign", "issuer").all(),
    );
    expect(large.result).toHaveLength(40);
    expect(large.roundTrips).toBe(small.roundTrips);
    expect(large.roundTrips).toBeLessThanOrEqual(4);
  });

  it("a gone target (deleted, or never saved) is null after include; null stays null", async () => {
    await world(2);
    await Pass.create({ id: "none", level: 99 });
    const passes = await Pass.query.orderBy("level").include("issuer", "citizen");
    expect(passes.map((p) => p.id)).toEqual(["p00", "p01", "none"]);
    expect(passes[0]?.issuer).toBeNull(); // "Citizen:Gone" was never saved
    expect(passes[1]?.issuer).toBeInstanceOf(Citizen);
    expect(passes[2]?.issuer).toBeNull();
    expect(passes[2]?.citizen).toBeNull();
    await (await Citizen.load({ name: "Ann" }))!.delete();
    const again = await Pass.query.include("issuer").get({ id: "p01" });
    expect(again?.issuer).toBeNull();
    // Without include, the stored key is still there, as a Reference that loads as null.
    const plain = await Pass.load({ id: "p01" });
    expect(plain?.issuer?.redisKey).toBe("Citizen:Ann");
    expect(await plain?.issuer?.load()).toBeNull();
  });

  it("a gone target at a nested hop is null there, and the hops above it are loaded", async () => {
    await world(3);
    await raw.del("StarSign:Leo"); // as an expired target leaves it
    const passes = await Pass.query.orderBy("level").include("citizen.starSign");
    expect(passes.map((p) => [p.citizen?.name, p.citizen?.starSign?.name ?? null])).toEqual([
      ["Ann", null],
      ["Ben", "Virgo"],
      ["Cy", null],
    ]);
    // The citizen's stored relationship is untouched by a save of the loaded copy.
    const ann = passes[0]!.citizen!;
    const before = await raw.hgetBuffer("Citizen:Ann", "starSign");
    await ann.save();
    expect(await raw.hgetBuffer("Citizen:Ann", "starSign")).toEqual(before);
  });

  it("a save after include keeps a gone target's key as stored; assigning the field replaces it", async () => {
    await world(1);
    const before = await raw.hgetBuffer("Pass:p00", "issuer");
    const [pass] = await Pass.query.filter({ id: "p00" }).include("issuer", "citizen");
    expect(pass?.issuer).toBeNull();
    pass!.level = 5;
    await pass!.save();
    expect(await raw.hgetBuffer("Pass:p00", "issuer")).toEqual(before);
    expect(await raw.smembers("$RelationshipF:Pass:issuer:Citizen:Gone")).toEqual(["Pass:p00"]);
    await pass!.save({ fields: ["issuer", "level"] });
    expect(await raw.smembers("$RelationshipF:Pass:issuer:Citizen:Gone")).toEqual(["Pass:p00"]);
    expect((await Pass.load({ id: "p00" }))?.level).toBe(5);

    pass!.issuer = null;
    await pass!.save();
    expect(await raw.smembers("$RelationshipF:Pass:issuer:Citizen:Gone")).toEqual([]);
    expect((await Pass.load({ id: "p00" }))?.issuer).toBeNull();
  });

  it("no rows: no extra round trip", async () => {
    await world(2);
    const { result, roundTrips } = await countTraffic(() =>
      Pass.query.filter({ level__gt: 100 }).include("citizen").all(),
    );
    expect(result).toEqual([]);
    expect(roundTrips).toBe(1);
  });

  it("works on get(), first() and a many-relationship", async () => {
    await world(2);
    const byKey = await Pass.query.include("citizen").get({ id: "p00" });
    expect(byKey?.citizen).toBeInstanceOf(Citizen);
    const first = await Pass.query.orderBy("-level").include("citizen.starSign").first();
    expect(((first?.citizen as Citizen).starSign as StarSign).name).toBe("Virgo");

    const ts = await Topic.create({ name: "ts" });
    await Article.create({ id: "a", topics: [ts, "Topic:gone"] });
    const { result, roundTrips } = await countTraffic(() => Article.query.include("topics").all());
    expect(roundTrips).toBe(2);
    expect(result[0]?.topics).toHaveLength(1);
    expect(result[0]?.topics[0]).toBeInstanceOf(Topic);
  });

  it("a many relationship leaves gone targets out, and a save keeps them as stored", async () => {
    const [ts, js, go] = [
      await Topic.create({ name: "ts" }),
      await Topic.create({ name: "js" }),
      await Topic.create({ name: "go" }),
    ];
    await Article.create({ id: "a", topics: ["Topic:gone", ts, js, go] });
    await raw.del("Topic:js"); // as an expired or foreign-deleted target leaves it
    const stored = await raw.hgetBuffer("Article:a", "topics");
    const [article] = await Article.query.include("topics");
    expect(article?.topics.map((t) => t.name)).toEqual(["ts", "go"]);
    await article!.save();
    expect(await raw.hgetBuffer("Article:a", "topics")).toEqual(stored);

    // Changing the list in place keeps the gone ones, in their stored places.
    article!.topics.splice(0, 1); // ts
    article!.topics.push(await Topic.create({ name: "rs" }));
    await article!.save();
    const keys = async () => (await Article.load({ id: "a" }))?.topics.map((t) => t.redisKey);
    expect(await keys()).toEqual(["Topic:gone", "Topic:js", "Topic:go", "Topic:rs"]);

    // Assigning the field stores exactly what is assigned.
    article!.topics = article!.topics.filter((t) => t.name !== "go");
    await article!.save();
    expect(await keys()).toEqual(["Topic:rs"]);
  });

  it("a path that is not a relationship is a QueryError", async () => {
    await world(1);
    await caught(() => Pass.query.include("level" as "citizen").all(), QueryError);
    await caught(() => Pass.query.include("citizen.nope" as "citizen").all(), QueryError);
  });
});
