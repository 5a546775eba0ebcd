/**
 * Lookups on sorted fields: exact, __gt, __gte, __lt, __lte, __between, __in, for every sorted
 * type, on SortedField and SortedKeyField, with partitions; combined with key lookups.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  Field,
  IndexedField,
  KeyField,
  Model,
  QueryError,
  SortedField,
  SortedKeyField,
} from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { raw, useRedis } from "../support/redis.js";

useRedis();

class Book extends Model("Book", {
  title: KeyField(),
  genre: KeyField({ null: true }),
  pages: SortedField({ type: "int" }),
}) {}

class Lap extends Model("Lap", { driver: KeyField(), fastest: SortedField({ type: "float" }) }) {}
class Money extends Model("Money", { id: KeyField(), amount: SortedField({ type: "decimal" }) }) {}
class Person extends Model("Person", { name: KeyField(), birthday: SortedField({ type: "date" }) }) {}
class Event extends Model("Event", { id: KeyField(), at: SortedField({ type: "datetime" }) }) {}
class Shift extends Model("Shift", { id: KeyField(), start: SortedField({ type: "time" }) }) {}
class Level extends Model("Level", { n: SortedKeyField({ type: "int" }), label: Field() }) {}

class Quote extends Model("Quote", {
  id: KeyField(),
  asset: KeyField(),
  market: KeyField(),
  price: SortedField({ type: "float", partitionBy: ["asset", "market"] }),
}) {}

class Tick extends Model("Tick", {
  asset: KeyField(),
  at: SortedKeyField({ type: "int", partitionBy: "asset" }),
}) {}

class Reading extends Model("Reading", {
  id: KeyField(),
  site: IndexedField(),
  value: SortedField({ type: "float", partitionBy: "site" }),
}) {}

const titles = (rows: { title: string }[]): string[] => rows.map((r) => r.title);
const sortedTitles = (rows: { title: string }[]): string[] => titles(rows).sort();

describe("int SortedField", () => {
  beforeEach(async () => {
    await Book.create({ title: "neg", pages: -5, genre: "x" });
    await Book.create({ title: "zero", pages: 0, genre: "x" });
    await Book.create({ title: "hobbit", pages: 310, genre: "fantasy" });
    await Book.create({ title: "dune", pages: 412, genre: "sf" });
    await Book.create({ title: "dune2", pages: 412, genre: "sf" });
    await Book.create({ title: "lotr", pages: 1178, genre: "fantasy" });
  });

  it("exact matches only that score (not the whole range)", async () => {
    expect(sortedTitles(await Book.query.filter({ pages: 412 }))).toEqual(["dune", "dune2"]);
    expect(await Book.query.filter({ pages: 411 })).toEqual([]);
    expect(sortedTitles(await Book.query.filter({ pages: -5 }))).toEqual(["neg"]);
    expect(await Book.query.count({ pages: 412 })).toBe(2);
  });

  it("__gt excludes and __gte includes the bound; __lt and __lte likewise", async () => {
    expect(sortedTitles(await Book.query.filter({ pages__gt: 412 }))).toEqual(["lotr"]);
    expect(sortedTitles(await Book.query.filter({ pages__gte: 412 }))).toEqual(["dune", "dune2", "lotr"]);
    expect(sortedTitles(await Book.query.filter({ pages__lt: 0 }))).toEqual(["neg"]);
    expect(sortedTitles(await Book.query.filter({ pages__lte: 0 }))).toEqual(["neg", "zero"]);
    expect(await Book.query.count({ pages__gt: -100 })).toBe(6);
    expect(await Book.query.count({ pages__lt: -5 })).toBe(0);
  });

  it("__between is inclusive at both ends", async () => {
    expect(sortedTitles(await Book.query.filter({ pages__between: [0, 412] }))).toEqual([
      "dune",
      "dune2",
      "hobbit",
      "zero",
    ]);
    expect(sortedTitles(await Book.query.filter({ pages__between: [311, 411] }))).toEqual([]);
    expect(sortedTitles(await Book.query.filter({ pages__between: [310, 310] }))).toEqual(["hobbit"]);
  });

  it("several range lookups on one field narrow one range", async () => {
    expect(sortedTitles(await Book.query.filter({ pages__gt: 0, pages__lte: 412 }))).toEqual([
      "dune",
      "dune2",
      "hobbit",
    ]);
    expect(sortedTitles(await Book.query.filter({ pages__gte: 0, pages__lt: 412, pages__gt: 300 }))).toEqual([
      "hobbit",
    ]);
    expect(await Book.query.filter({ pages__gt: 500, pages__lt: 400 })).toEqual([]);
    expect(sortedTitles(await Book.query.filter({ pages__gte: 310 }).filter({ pages__lte: 310 }))).toEqual([
      "hobbit",
    ]);
    expect(await Book.query.count({ pages__gt: 0, pages__lte: 412 })).toBe(3);
  });

  it("__in matches any of the scores", async () => {
    expect(sortedTitles(await Book.query.filter({ pages__in: [310, 1178, 7] }))).toEqual(["hobbit", "lotr"]);
    expect(await Book.query.filter({ pages__in: [] })).toEqual([]);
  });

  it("intersects with key-field lookups", async () => {
    expect(sortedTitles(await Book.query.filter({ pages__gte: 300, genre: "fantasy" }))).toEqual([
      "hobbit",
      "lotr",
    ]);
    expect(sortedTitles(await Book.query.filter({ pages__lt: 1000, title__startswith: "d" }))).toEqual([
      "dune",
      "dune2",
    ]);
    expect(sortedTitles(await Book.query.filter({ pages: 412, title__endswith: "2" }))).toEqual(["dune2"]);
    expect(await Book.query.count({ pages__gte: 300, genre: "fantasy" })).toBe(2);
    expect(await Book.query.filter({ pages__gte: 2000, genre: "fantasy" })).toEqual([]);
  });

  it("returns a range in score order when no order is given", async () => {
    expect(titles(await Book.query.filter({ pages__gte: 300, pages__lt: 1000 })).slice(0, 1)).toEqual([
      "hobbit",
    ]);
    const pages = (await Book.query.filter({ pages__gte: -10 })).map((b) => b.pages);
    expect(pages).toEqual([-5, 0, 310, 412, 412, 1178]);
  });

  it("returns a range intersected with other lookups in score order too", async () => {
    await Book.create({ title: "a-long", pages: 2000, genre: "fantasy" });
    const pages = (await Book.query.filter({ pages__gte: 0, genre: "fantasy" })).map((b) => b.pages);
    expect(pages).toEqual([310, 1178, 2000]);
  });
});

describe("other sorted types", () => {
  it("float: __gte includes an equal value, __gt excludes it", async () => {
    await Lap.create({ driver: "a", fastest: 53.2 });
    await Lap.create({ driver: "b", fastest: 54.9 });
    await Lap.create({ driver: "c", fastest: 55 });
    await Lap.create({ driver: "d", fastest: 61.25 });
    const drivers = (rows: { driver: string }[]): string[] => rows.map((r) => r.driver).sort();
    expect(drivers(await Lap.query.filter({ fastest__lt: 55 }))).toEqual(["a", "b"]);
    expect(drivers(await Lap.query.filter({ fastest__gte: 55 }))).toEqual(["c", "d"]);
    expect(drivers(await Lap.query.filter({ fastest__gt: 55 }))).toEqual(["d"]);
    expect(drivers(await Lap.query.filter({ fastest: 54.9 }))).toEqual(["b"]);
    expect(drivers(await Lap.query.filter({ fastest__between: [53.2, 55] }))).toEqual(["a", "b", "c"]);
  });

  it("decimal: compared by value, not text", async () => {
    await Money.create({ id: "a", amount: "1.10" });
    await Money.create({ id: "b", amount: "9.5" });
    await Money.create({ id: "c", amount: "10.00" });
    await Money.create({ id: "d", amount: "-0.01" });
    const ids = (rows: { id: string }[]): string[] => rows.map((r) => r.id).sort();
    expect(ids(await Money.query.filter({ amount__gt: "1.1" }))).toEqual(["b", "c"]);
    expect(ids(await Money.query.filter({ amount__gte: "1.1" }))).toEqual(["a", "b", "c"]);
    expect(ids(await Money.query.filter({ amount: "10" }))).toEqual(["c"]);
    expect(ids(await Money.query.filter({ amount__lt: "0" }))).toEqual(["d"]);
    expect((await Money.load({ id: "a" }))?.amount).toBe("1.10");
  });

  it("date: ranges by day", async () => {
    await Person.create({ name: "a", birthday: new Date("1990-05-01T00:00:00Z") });
    await Person.create({ name: "b", birthday: new Date("1995-12-31T00:00:00Z") });
    await Person.create({ name: "c", birthday: new Date("1996-01-01T00:00:00Z") });
    await Person.create({ name: "d", birthday: new Date("1965-03-03T00:00:00Z") });
    const people = (rows: { name: string }[]): string[] => rows.map((r) => r.name).sort();
    expect(people(await Person.query.filter({ birthday__lt: new Date("1996-01-01T00:00:00Z") }))).toEqual([
      "a",
      "b",
      "d",
    ]);
    expect(people(await Person.query.filter({ birthday__gt: new Date("1995-12-31T00:00:00Z") }))).toEqual([
      "c",
    ]);
    expect(people(await Person.query.filter({ birthday: new Date("1965-03-03T00:00:00Z") }))).toEqual(["d"]);
    expect(people(await Person.query.filter({ birthday__lte: new Date("1970-01-01T00:00:00Z") }))).toEqual([
      "d",
    ]);
  });

  it("datetime: ranges by instant, to the millisecond", async () => {
    const t = Date.parse("2024-03-01T12:00:00.000Z");
    await Event.create({ id: "a", at: new Date(t) });
    await Event.create({ id: "b", at: new Date(t + 1) });
    await Event.create({ id: "c", at: new Date(t + 3_600_000) });
    await Event.create({ id: "old", at: new Date("1969-07-20T20:17:40Z") });
    const ids = (rows: { id: string }[]): string[] => rows.map((r) => r.id).sort();
    expect(ids(await Event.query.filter({ at__gt: new Date(t) }))).toEqual(["b", "c"]);
    expect(ids(await Event.query.filter({ at__gte: new Date(t) }))).toEqual(["a", "b", "c"]);
    expect(ids(await Event.query.filter({ at: new Date(t + 1) }))).toEqual(["b"]);
    expect(ids(await Event.query.filter({ at__lt: new Date(0) }))).toEqual(["old"]);
    expect(ids(await Event.query.filter({ at__between: [new Date(t), new Date(t + 1)] }))).toEqual([
      "a",
      "b",
    ]);
  });

  it("time: ranges by time of day", async () => {
    await Shift.create({ id: "early", start: "06:00" });
    await Shift.create({ id: "day", start: "09:00:00" });
    await Shift.create({ id: "late", start: "17:30:00.000001" });
    await Shift.create({ id: "night", start: "23:59:59.999999" });
    const ids = (rows: { id: string }[]): string[] => rows.map((r) => r.id).sort();
    expect(ids(await Shift.query.filter({ start__between: ["09:00", "17:30"] }))).toEqual(["day"]);
    expect(ids(await Shift.query.filter({ start__gt: "17:30" }))).toEqual(["late", "night"]);
    expect(ids(await Shift.query.filter({ start: "06:00:00.000000" }))).toEqual(["early"]);
    expect(ids(await Shift.query.filter({ start__lt: "06:00:00.000001" }))).toEqual(["early"]);
  });
});

describe("SortedKeyField", () => {
  it("answers exact, range and __in lookups from $SortedKeyF", async () => {
    for (const n of [1, 2, 3, 10]) await Level.create({ n, label: `L${n}` });
    const labels = (rows: { label: string }[]): string[] => rows.map((r) => r.label).sort();
    expect(labels(await Level.query.filter({ n: 2 }))).toEqual(["L2"]);
    expect(labels(await Level.query.filter({ n__gt: 2 }))).toEqual(["L10", "L3"]);
    expect(labels(await Level.query.filter({ n__lte: 2 }))).toEqual(["L1", "L2"]);
    expect(labels(await Level.query.filter({ n__between: [2, 3] }))).toEqual(["L2", "L3"]);
    expect(labels(await Level.query.filter({ n__in: [1, 10] }))).toEqual(["L1", "L10"]);
    expect((await Level.query.get({ n: 10 }))?.label).toBe("L10");
    expect(await Level.query.count({ n__gte: 3 })).toBe(2);
  });

  it("reads the partition a partitioned SortedKeyField names", async () => {
    for (const at of [1, 5, 9]) {
      await Tick.create({ asset: "BTC", at });
      await Tick.create({ asset: "ETH", at: at + 1 });
    }
    const ats = (rows: { at: number }[]): number[] => rows.map((r) => r.at).sort((a, b) => a - b);
    expect(ats(await Tick.query.filter({ asset: "BTC", at__gte: 5 }))).toEqual([5, 9]);
    expect(ats(await Tick.query.filter({ asset: "ETH", at__gte: 5 }))).toEqual([6, 10]);
    expect(ats(await Tick.query.filter({ asset: "ETH", at: 2 }))).toEqual([2]);
    expect(await Tick.query.filter({ asset: "DOGE", at__gte: 0 })).toEqual([]);
    expect(await Tick.query.count({ asset: "BTC" })).toBe(3);
  });
});

describe("partitions", () => {
  beforeEach(async () => {
    let i = 0;
    for (const asset of ["BTC", "ETH"]) {
      for (const market of ["beefi", "damnance"]) {
        for (const price of [1, 2, 3, 4]) {
          await Quote.create({ id: `q${i++}`, asset, market, price: price * (asset === "BTC" ? 100 : 1) });
        }
      }
    }
  });

  it("reads one partition, chosen by the partition fields' equalities", async () => {
    const prices = (rows: { price: number; asset: string; market: string }[]): string[] =>
      rows.map((r) => `${r.asset}/${r.market}/${r.price}`).sort();
    expect(prices(await Quote.query.filter({ asset: "BTC", market: "beefi", price__gte: 300 }))).toEqual([
      "BTC/beefi/300",
      "BTC/beefi/400",
    ]);
    expect(prices(await Quote.query.filter({ asset: "ETH", market: "damnance", price__lt: 3 }))).toEqual([
      "ETH/damnance/1",
      "ETH/damnance/2",
    ]);
    expect(prices(await Quote.query.filter({ asset: "ETH", market: "beefi", price: 4 }))).toEqual([
      "ETH/beefi/4",
    ]);
    expect(await Quote.query.count({ asset: "BTC", market: "damnance", price__between: [100, 200] })).toBe(2);
    expect(await Quote.query.filter({ asset: "BTC", market: "nowhere", price__gte: 0 })).toEqual([]);
  });

  it("combines the partition with other key lookups", async () => {
    const rows = await Quote.query.filter({
      asset: "BTC",
      market: "beefi",
      price__gte: 0,
      id__in: ["q0", "q5"],
    });
    expect(rows.map((r) => r.id)).toEqual(["q0"]);
  });

  it("without a sorted lookup, partition fields are ordinary key filters", async () => {
    expect(await Quote.query.count({ market: "beefi" })).toBe(8);
    expect(await Quote.query.count({ market: "beefi", asset: "ETH" })).toBe(4);
  });

  it("a sorted lookup without every partition field throws QueryError naming the missing one", async () => {
    const missingMarket = await caught(() => Quote.query.filter({ asset: "BTC", price__gte: 0 }), QueryError);
    expect(missingMarket.code).toBe("QUERY");
    expect(missingMarket.message).toContain("market");
    expect(missingMarket.message).toContain("price");
    const missingBoth = await caught(() => Quote.query.filter({ price: 1 }), QueryError);
    expect(missingBoth.message).toContain("asset");
    // an __in on a partition field does not name one partition
    await caught(
      () => Quote.query.filter({ asset__in: ["BTC"], market: "beefi", price__gte: 0 }),
      QueryError,
    );
  });

  it("a partition on an IndexedField is queried by giving it by equality", async () => {
    await Reading.create({ id: "r1", site: "north", value: 1 });
    await Reading.create({ id: "r2", site: "north", value: 5 });
    await Reading.create({ id: "r3", site: "south", value: 5 });
    const rows = await Reading.query.filter({ site: "north", value__gte: 2 });
    expect(rows.map((r) => r.id)).toEqual(["r2"]);
    expect(await raw.zrange("$SortF:Reading:value:north", 0, -1)).toEqual(["Reading:r1", "Reading:r2"]);
  });

  it("a partition on a plain Field is given by equality together with the sorted lookup", async () => {
    class Plain extends Model("PlainPartition", {
      id: KeyField(),
      site: Field(),
      value: SortedField({ partitionBy: "site" }),
    }) {}
    await Plain.create({ id: "a", site: "north", value: 1 });
    await Plain.create({ id: "b", site: "north", value: 5 });
    await Plain.create({ id: "c", site: "south", value: 5 });
    expect((await Plain.query.filter({ site: "north", value__gte: 2 })).map((r) => r.id)).toEqual(["b"]);
    expect(await Plain.query.filter({ site: "north" }).orderBy("-value").values("id")).toEqual([
      { id: "b" },
      { id: "a" },
    ]);
    expect(await Plain.query.filter({ site: "north" }).count()).toBe(2);
  });
});

describe("bad sorted lookups", () => {
  it("throws QueryError for a malformed __between or a value of the wrong type", async () => {
    for (const where of [
      { pages__between: [1] },
      { pages__between: [1, 2, 3] },
      { pages__between: 5 },
      { pages__gt: "many" },
      { pages: 1.5 },
    ]) {
      const error = await caught(async () => await Book.query.filter(where as never), QueryError);
      expect(error.code, JSON.stringify(where)).toBe("QUERY");
      expect(error.message).toContain("pages");
    }
  });
});
