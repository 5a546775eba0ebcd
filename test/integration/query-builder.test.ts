import { describe, expect, it } from "vitest";
import { KeyField, Model, Relationship, SortedField, and, not, or } from "../../src/index.js";
import { raw, useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

class Author extends Model("Author", { name: KeyField(), country: KeyField({ null: true }) }) {}
class Book extends Model("Book", {
  title: KeyField(),
  author: Relationship(Author),
  pages: SortedField({ type: "int" }),
  genre: KeyField({ null: true }),
}) {}

async function library(): Promise<void> {
  const tolkien = await Author.create({ name: "Tolkien", country: "UK" });
  const leGuin = await Author.create({ name: "Le Guin", country: "US" });
  await Book.create({ title: "The Hobbit", author: tolkien, pages: 310, genre: "fantasy" });
  await Book.create({ title: "LOTR", author: tolkien, pages: 1178, genre: "fantasy" });
  await Book.create({ title: "The Dispossessed", author: leGuin, pages: 387, genre: "sf" });
  await Book.create({ title: "Earthsea", author: leGuin, pages: 183, genre: "fantasy" });
  await Book.create({ title: "Notes", pages: 12 });
}

const titles = (books: readonly { title: string }[]): string[] => books.map((b) => b.title).sort();

describe("query builder", () => {
  it("is immutable: each call returns a new query", async () => {
    await library();
    const fantasy = Book.query.filter({ genre: "fantasy" });
    const long = fantasy.filter({ pages__gte: 300 });
    expect(titles(await fantasy)).toEqual(["Earthsea", "LOTR", "The Hobbit"]);
    expect(titles(await long)).toEqual(["LOTR", "The Hobbit"]);
  });

  it("exclude, or, not and and are set operations", async () => {
    await library();
    expect(titles(await Book.query.exclude({ genre: "fantasy" }))).toEqual(["Notes", "The Dispossessed"]);
    expect(titles(await Book.query.filter(or({ pages: 12 }, { pages: 183 })))).toEqual(["Earthsea", "Notes"]);
    expect(
      titles(await Book.query.filter(or({ pages: 12 }, { pages: 183 })).filter(not({ genre: "fantasy" }))),
    ).toEqual(["Notes"]);
    expect(
      titles(
        await Book.query.filter(
          and({ genre: "fantasy" }, or({ author__name: "Le Guin" }, { pages__gt: 1000 })),
        ),
      ),
    ).toEqual(["Earthsea", "LOTR"]);
    expect(await Book.query.count(not(or({ genre: "fantasy" }, { genre: "sf" })))).toBe(1);
  });

  it("takes the nested object form, parsed into the same plan", async () => {
    await library();
    const nested = await Book.query.filter({ author: { name: "Tolkien" }, pages: { lt: 400 } });
    expect(titles(nested)).toEqual(["The Hobbit"]);
    expect(titles(await Book.query.filter({ author: { country: { in: ["US"] } } }))).toEqual([
      "Earthsea",
      "The Dispossessed",
    ]);
    const a = await Book.query.filter({ author: { name: "Tolkien" }, pages: { gte: 300 } }).explain();
    const b = await Book.query.filter({ author__name: "Tolkien", pages__gte: 300 }).explain();
    expect(a.plan).toEqual(b.plan);
    expect(a.roundTrips).toBe(2);
  });

  it("explain names the index keys and where ordering happens", async () => {
    await library();
    const plan = await Book.query.filter({ genre: "fantasy", pages__gte: 300 }).orderBy("-pages").explain();
    expect(plan.indexKeys).toEqual(expect.arrayContaining(["$KeyF:Book:genre:fantasy", "$SortF:Book:pages"]));
    expect(plan.order).toBe("redis-score");
    expect(plan.roundTrips).toBe(1);
    expect((await Book.query.orderBy("title").explain()).order).toBe("client");
  });

  it("explain gives the script's keys and arguments, and running them gives the query's keys", async () => {
    await library();
    const query = Book.query.filter({ genre: "fantasy", pages__gte: 300 });
    const { script, indexKeys } = await query.explain();
    expect(script.keys).toEqual(indexKeys);
    expect(script.keys).toEqual(expect.arrayContaining(["$KeyF:Book:genre:fantasy", "$SortF:Book:pages"]));
    expect(typeof script.args[0]).toBe("string");
    expect(JSON.parse(String(script.args[0]))).toMatchObject({ mode: "load" });
  });

  it("first, exists, keys, values and paging", async () => {
    await library();
    expect((await Book.query.orderBy("-pages").first())?.title).toBe("LOTR");
    expect(await Book.query.filter({ genre: "none" }).exists()).toBe(false);
    expect((await Book.query.filter({ pages__lt: 200 }).keys()).sort()).toEqual([
      "Book:None:Notes",
      "Book:fantasy:Earthsea",
    ]);
    expect(await Book.query.orderBy("pages").offset(1).limit(2).values("title")).toEqual([
      { title: "Earthsea" },
      { title: "The Hobbit" },
    ]);
  });

  it("delete() removes every match with all its index entries", async () => {
    await library();
    expect(await Book.query.filter({ genre: "fantasy" }).delete()).toBe(3);
    expect(titles(await Book.query.all())).toEqual(["Notes", "The Dispossessed"]);
    expect(await raw.exists("$KeyF:Book:genre:fantasy")).toBe(0);
    expect(await raw.zcard("$SortF:Book:pages")).toBe(2);
  });

  it("iterate streams every match in batches", async () => {
    for (let i = 0; i < 120; i++)
      await Book.create({ title: `B${i}`, pages: i, genre: i % 3 === 0 ? "x" : "y" });
    const seen: string[] = [];
    const { roundTrips } = await countTraffic(async () => {
      for await (const book of Book.query.filter({ genre: "x" }).iterate({ batchSize: 10 }))
        seen.push(book.title);
    });
    expect(seen.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `B${i * 3}`).sort());
    expect(roundTrips).toBeGreaterThan(2);
    const all: string[] = [];
    for await (const book of Book.query.iterate({ batchSize: 7 })) all.push(book.title);
    expect(new Set(all).size).toBe(120);
  });
});
