/**
 * Key-part escaping (storage spec §1) as it lands in Redis: instance keys, index set names and
 * partition parts, and lookups that find escaped values again.
 */
import { describe, expect, it } from "vitest";
import { Field, KeyField, Model, Relationship, SortedField, ValidationError } from "../../src/index.js";
import { caught, members, specKeys, zmembers } from "../support/inspect.js";
import { raw, useRedis } from "../support/redis.js";

useRedis();

class Place extends Model("Place", { name: KeyField(), note: Field({ null: true }) }) {}
class Pair extends Model("Pair", { left: KeyField(), right: KeyField() }) {}
class Visit extends Model("EscVisit", { id: KeyField(), place: Relationship(Place) }) {}
class Reading extends Model("Reading", {
  id: KeyField(),
  site: KeyField(),
  value: SortedField({ type: "float", partitionBy: "site" }),
}) {}

const cases: [string, string][] = [
  ["new-york", "new/-york"],
  ["a:b-c*d/e{x}", "a{&#58;}b/-c/*d//e{x}"],
  ["2020-01-02", "2020/-01/-02"],
  ["it's?*^[]-", "it/'s/?/*/^/[/]/-"],
  ["/", "//"],
  ["a//b", "a////b"],
  ["::", "{&#58;}{&#58;}"],
  ["{&#58;}", "/{&#58;}"],
  ["café {x} 東京", "café {x} 東京"],
  ["tab\there", "tab\there"],
];

describe("escaping in keys", () => {
  it.each(cases)("stores %j under the part %j", async (value, part) => {
    const place = await Place.create({ name: value });
    expect(place.redisKey).toBe(`Place:${part}`);
    expect(await raw.exists(`Place:${part}`)).toBe(1);
    expect(await members(`$KeyF:Place:name:${part}`)).toEqual([`Place:${part}`]);
    expect(await members("$Class:Place")).toEqual([`Place:${part}`]);
    const loaded = await Place.load({ name: value });
    expect(loaded?.name).toBe(value);
    const found = await Place.query.filter({ name: value });
    expect(found.map((p) => p.name)).toEqual([value]);
    expect(await Place.query.values("name")).toEqual([{ name: value }]);
    expect(await place.delete()).toBe(true);
    expect(await specKeys()).toEqual([]);
  });

  it("keeps values apart that differ only in characters the escaping touches", async () => {
    const values = ["a:b", "a{&#58;}b", "a/:b", "a-b", "a/-b", "a*", "*", "a?", "a[b]"];
    for (const v of values) await Place.create({ name: v });
    expect(new Set((await raw.smembers("$Class:Place")).map(String)).size).toBe(values.length);
    for (const v of values) {
      const found = await Place.query.filter({ name: v });
      expect(
        found.map((p) => p.name),
        v,
      ).toEqual([v]);
    }
    // a glob character in a lookup is a literal character, not a pattern
    expect((await Place.query.filter({ name: "*" })).map((p) => p.name)).toEqual(["*"]);
    expect((await Place.query.filter({ name__in: ["a?", "a[b]"] })).map((p) => p.name).sort()).toEqual(
      ["a?", "a[b]"].sort(),
    );
  });

  it("answers string lookups on escaped values with the unescaped text", async () => {
    await Place.create({ name: "a:b-c*d/e{x}" });
    await Place.create({ name: "new-york" });
    await Place.create({ name: "new:jersey" });
    const names = async (query: PromiseLike<{ name: string }[]>): Promise<string[]> =>
      (await query).map((p) => p.name).sort();
    expect(await names(Place.query.filter({ name__startswith: "a:b-" }))).toEqual(["a:b-c*d/e{x}"]);
    expect(await names(Place.query.filter({ name__startswith: "new-" }))).toEqual(["new-york"]);
    expect(await names(Place.query.filter({ name__startswith: "new:" }))).toEqual(["new:jersey"]);
    expect(await names(Place.query.filter({ name__startswith: "new" }))).toEqual(["new-york", "new:jersey"]);
    expect(await names(Place.query.filter({ name__endswith: "{x}" }))).toEqual(["a:b-c*d/e{x}"]);
    expect(await names(Place.query.filter({ name__contains: "*d/" }))).toEqual(["a:b-c*d/e{x}"]);
    expect(await names(Place.query.filter({ name__contains: "/" }))).toEqual(["a:b-c*d/e{x}"]);
    expect(await names(Place.query.filter({ name__contains: "{&#58;}" }))).toEqual([]);
    expect(await names(Place.query.filter({ name__contains: ":" }))).toEqual(["a:b-c*d/e{x}", "new:jersey"]);
  });

  it("splits multi-part keys correctly when values hold escaped characters", async () => {
    const pair = await Pair.create({ left: "x:y", right: "-/-" });
    expect(pair.redisKey).toBe("Pair:x{&#58;}y:/-///-");
    expect(await Pair.query.values("left", "right")).toEqual([{ left: "x:y", right: "-/-" }]);
    expect(await Pair.query.keys()).toEqual(["Pair:x{&#58;}y:/-///-"]);
    expect((await Pair.query.get({ left: "x:y", right: "-/-" }))?.redisKey).toBe("Pair:x{&#58;}y:/-///-");
  });

  it("escapes partition parts", async () => {
    await Reading.create({ id: "r1", site: "eu-1:a", value: 2 });
    const key = "Reading:r1:eu/-1{&#58;}a";
    expect(await zmembers("$SortF:Reading:value:eu/-1{&#58;}a")).toEqual({ [key]: 2 });
    expect(await members("$KeyF:Reading:site:eu/-1{&#58;}a")).toEqual([key]);
    const found = await Reading.query.filter({ site: "eu-1:a", value__gte: 1 });
    expect(found.map((r) => r.id)).toEqual(["r1"]);
    expect(await Reading.query.filter({ site: "eu-1", value__gte: 1 })).toEqual([]);
  });

  it("takes a string given to load() as an instance key, not escaping it again", async () => {
    await Place.create({ name: "new-york" });
    expect((await Place.load("Place:new/-york"))?.name).toBe("new-york");
    expect(await Place.exists("Place:new/-york")).toBe(true);
  });
});

describe("loading by key values never needs the escaping rules", () => {
  it.each(cases)("load(), exists() and get() by the value %j", async (value) => {
    const place = await Place.create({ name: value, note: "n" });
    expect((await Place.load({ name: value }))?.note).toBe("n");
    expect(await Place.exists({ name: value })).toBe(true);
    expect((await Place.query.get({ name: value }))?.redisKey).toBe(place.redisKey);
    expect((await Place.load(place.redisKey))?.name).toBe(value); // an instance's redisKey as it is
  });

  it("a key string with a value written unescaped is refused, showing the call by values", async () => {
    await Place.create({ name: "new-york" });
    const error = await caught(() => Place.load("Place:new-york"), ValidationError);
    expect(error.message).toContain('"new-york" is not a key part as popoto stores it');
    expect(error.message).toContain('Place.load({ name: "new-york" })');
    const pair = await caught(() => Pair.exists("Pair:a-b:c"), ValidationError);
    expect(pair.message).toContain('Pair.exists({ left: "a-b", right: "c" })');
  });

  it("a key string with the wrong number of parts (a raw ':' in a value) is refused the same way", async () => {
    const error = await caught(() => Place.load("Place:a:b"), ValidationError);
    expect(error.message).toContain('Place keys have 1 part after "Place:" (name), and "Place:a:b" has 2');
    expect(error.message).toContain("Place.load({ name: … })");
  });

  it("another model's key still names no instance of this one", async () => {
    expect(await Place.load("Pair:a:b")).toBeNull();
    expect(await Place.exists("Pair:a:b")).toBe(false);
  });

  it("a relationship refuses a key string with a value written unescaped, before writing", async () => {
    const before = await specKeys();
    const error = await caught(() => Visit.create({ id: "v", place: "Place:new-york" }), ValidationError);
    expect(error.issues[0]?.field).toBe("place");
    expect(error.issues[0]?.message).toContain('"new-york" is not escaped');
    expect(await specKeys()).toEqual(before);
    await Visit.create({ id: "v", place: "Place:new/-york" });
  });
});
