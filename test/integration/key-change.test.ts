/**
 * Changing a key field moves the instance: the old hash and every old index entry go in the same
 * atomic step, the new ones appear, and a move onto an existing key is refused with nothing written.
 */
import { describe, expect, it } from "vitest";
import {
  Field,
  KeyConflictError,
  KeyField,
  Model,
  PopotoError,
  SortedField,
  SortedKeyField,
  UniqueKeyField,
} from "../../src/index.js";
import { caught, dump, members, specKeys, zmembers } from "../support/inspect.js";
import { allKeys, raw, useRedis } from "../support/redis.js";

useRedis();

class Book extends Model("Book", {
  title: KeyField(),
  pages: SortedField({ type: "int" }),
  genre: Field({ null: true }),
}) {}

class Restaurant extends Model("Restaurant", {
  name: KeyField(),
  city: KeyField(),
  rating: SortedField({ type: "float", partitionBy: "city" }),
}) {}

class User extends Model("User", { email: UniqueKeyField(), name: KeyField() }) {}

class Level extends Model("Level", { n: SortedKeyField({ type: "int" }), label: Field() }) {}

describe("key change on save", () => {
  it("moves the hash and every index entry, leaving nothing of the old key", async () => {
    const hobbit = await Book.create({ title: "The Hobbit", pages: 310 });
    await Book.create({ title: "Other", pages: 5 });
    hobbit.title = "Hobbit";
    await hobbit.save();
    expect(hobbit.redisKey).toBe("Book:Hobbit");
    expect(await raw.exists("Book:The Hobbit")).toBe(0);
    expect(await raw.exists("$KeyF:Book:title:The Hobbit")).toBe(0);
    expect(await members("$KeyF:Book:title:Hobbit")).toEqual(["Book:Hobbit"]);
    expect(await members("$Class:Book")).toEqual(["Book:Hobbit", "Book:Other"]);
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:Hobbit": 310, "Book:Other": 5 });
    // popoto's own indexes forgot the old value too: no lookup finds it
    expect(await Book.query.filter({ title__startswith: "The" })).toEqual([]);
    expect(await Book.query.filter({ title__endswith: "Hobbit" }).keys()).toEqual(["Book:Hobbit"]);
    expect(await Book.query.filter({ title__contains: "e H" })).toEqual([]);
    expect((await allKeys()).some((k) => k.includes("The Hobbit"))).toBe(false);
    for (const key of await allKeys()) {
      const type = await raw.type(key);
      if (type === "zset") {
        const all = await raw.zrange(key, 0, -1);
        expect(
          all.some((m) => m.includes("The Hobbit")),
          key,
        ).toBe(false);
      }
      if (type === "set") {
        const all = await raw.smembers(key);
        expect(
          all.some((m) => m.includes("The Hobbit")),
          key,
        ).toBe(false);
      }
    }
    expect(await Book.query.count()).toBe(2);
  });

  it("moves a sorted member between partitions when a partition key field changes", async () => {
    const r = await Restaurant.create({ name: "Burger Palace", city: "new-york", rating: 4.5 });
    await Restaurant.create({ name: "Sushi Zen", city: "new-york", rating: 4 });
    r.city = "boston";
    await r.save();
    expect(r.redisKey).toBe("Restaurant:boston:Burger Palace");
    expect(await dump({ specOnly: true })).toEqual({
      "$Class:Restaurant": {
        type: "set",
        members: ["Restaurant:boston:Burger Palace", "Restaurant:new/-york:Sushi Zen"],
      },
      "$KeyF:Restaurant:city:boston": { type: "set", members: ["Restaurant:boston:Burger Palace"] },
      "$KeyF:Restaurant:city:new/-york": { type: "set", members: ["Restaurant:new/-york:Sushi Zen"] },
      "$KeyF:Restaurant:name:Burger Palace": { type: "set", members: ["Restaurant:boston:Burger Palace"] },
      "$KeyF:Restaurant:name:Sushi Zen": { type: "set", members: ["Restaurant:new/-york:Sushi Zen"] },
      "$SortF:Restaurant:rating:boston": {
        type: "zset",
        members: { "Restaurant:boston:Burger Palace": 4.5 },
      },
      "$SortF:Restaurant:rating:new/-york": {
        type: "zset",
        members: { "Restaurant:new/-york:Sushi Zen": 4 },
      },
      "Restaurant:boston:Burger Palace": expect.objectContaining({ type: "hash" }) as never,
      "Restaurant:new/-york:Sushi Zen": expect.objectContaining({ type: "hash" }) as never,
    });
    expect((await Restaurant.query.filter({ city: "boston", rating__gte: 4 })).map((x) => x.name)).toEqual([
      "Burger Palace",
    ]);
    expect((await Restaurant.query.filter({ city: "new-york", rating__gte: 4 })).map((x) => x.name)).toEqual([
      "Sushi Zen",
    ]);
  });

  it("refuses to move onto a key that exists, writing nothing", async () => {
    const a = await Book.create({ title: "A", pages: 1, genre: "a" });
    await Book.create({ title: "B", pages: 2, genre: "b" });
    const before = await dump();
    a.title = "B";
    a.pages = 100;
    const error = await caught(() => a.save(), KeyConflictError);
    expect(error).toBeInstanceOf(PopotoError);
    expect(error.code).toBe("KEY_CONFLICT");
    expect(error.message).toContain("Book:A");
    expect(error.message).toContain("Book:B");
    expect(await dump()).toEqual(before);
    // the instance still belongs where it was: moving it back and saving works
    a.title = "A";
    await a.save();
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:A": 100, "Book:B": 2 });
  });

  it("moves an instance obtained from filter() or all()", async () => {
    await Book.create({ title: "A", pages: 1 });
    const [fromFilter] = await Book.query.filter({ pages__gte: 1 });
    fromFilter!.title = "A2";
    await fromFilter!.save();
    const [fromAll] = await Book.query.all();
    fromAll!.title = "A3";
    fromAll!.pages = 3;
    await fromAll!.save();
    expect(await specKeys()).toEqual(["$Class:Book", "$KeyF:Book:title:A3", "$SortF:Book:pages", "Book:A3"]);
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:A3": 3 });
  });

  it("moves twice and back without leftovers, and delete then removes the latest key", async () => {
    const b = await Book.create({ title: "one", pages: 1 });
    b.title = "two";
    await b.save();
    b.title = "three";
    await b.save();
    b.title = "one";
    await b.save();
    expect(await specKeys()).toEqual([
      "$Class:Book",
      "$KeyF:Book:title:one",
      "$SortF:Book:pages",
      "Book:one",
    ]);
    expect(await b.delete()).toBe(true);
    expect(await allKeys()).toEqual([]);
  });

  it("frees the old unique value and takes the new one", async () => {
    const u = await User.create({ email: "old@x", name: "u" });
    u.email = "new@x";
    await u.save();
    expect(await raw.exists("$UniqueKeyF:User:email:old@x")).toBe(0);
    expect(await members("$UniqueKeyF:User:email:new@x")).toEqual(["User:new@x:u"]);
    expect(await raw.exists("User:old@x:u")).toBe(0);
    // another user can now take the old value
    await User.create({ email: "old@x", name: "v" });
    expect(await members("$UniqueKeyF:User:email:old@x")).toEqual(["User:old@x:v"]);
  });

  it("moves a SortedKeyField member to its new key and score", async () => {
    const l = await Level.create({ n: 1, label: "one" });
    l.n = 2;
    await l.save();
    expect(await zmembers("$SortedKeyF:Level:n")).toEqual({ "Level:2": 2 });
    expect(await specKeys()).toEqual(["$Class:Level", "$SortedKeyF:Level:n", "Level:2"]);
  });

  it("moves a row whose old key was deleted by someone else meanwhile, leaving one row", async () => {
    const mine = await Book.create({ title: "A", pages: 1 });
    const theirs = await Book.load({ title: "A" });
    await theirs!.delete();
    mine.title = "Z";
    await mine.save();
    expect(await specKeys()).toEqual(["$Class:Book", "$KeyF:Book:title:Z", "$SortF:Book:pages", "Book:Z"]);
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:Z": 1 });
  });

  it("moves a row whose old key was moved by someone else meanwhile, without touching their row", async () => {
    const mine = await Book.create({ title: "A", pages: 1 });
    const theirs = await Book.load({ title: "A" });
    theirs!.title = "T";
    await theirs!.save();
    mine.title = "M";
    await mine.save();
    // their move went through; mine finds nothing at A, so it writes a new row at M
    expect(await members("$Class:Book")).toEqual(["Book:M", "Book:T"]);
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:M": 1, "Book:T": 1 });
    expect(await raw.exists("$KeyF:Book:title:A")).toBe(0);
    expect(await raw.exists("Book:A")).toBe(0);
  });
});
