import { describe, expect, it } from "vitest";
import { DecimalField, Field, IntField, KeyField, Model, SortedField } from "../../src/index.js";
import { hexOf, raw, useRedis } from "../support/redis.js";

useRedis();

class Book extends Model("Book", {
  title: KeyField(),
  pages: SortedField({ type: "int" }),
  sold: IntField({ default: 0 }),
  price: DecimalField({ default: "0.00" }),
  genre: Field({ null: true }),
}) {}

describe("save({ fields })", () => {
  it("writes only the listed fields, so two processes updating different fields both win", async () => {
    await Book.create({ title: "Dune", pages: 412, genre: "sf" });
    const a = await Book.load({ title: "Dune" });
    const b = await Book.load({ title: "Dune" });
    a!.pages = 500;
    b!.genre = "classic";
    await a!.save({ fields: ["pages"] });
    await b!.save({ fields: ["genre"] });
    const final = await Book.load({ title: "Dune" });
    expect(final?.pages).toBe(500);
    expect(final?.genre).toBe("classic");
    expect(await raw.zscore("$SortF:Book:pages", "Book:Dune")).toBe("500");
  });

  it("an empty list writes nothing; a key field listed moves the instance", async () => {
    const book = await Book.create({ title: "Dune", pages: 412 });
    book.pages = 1;
    await book.save({ fields: [] });
    expect(await hexOf("Book:Dune", "pages")).toBe("cd019c");
    book.title = "Dune Messiah";
    await book.save({ fields: ["title"] });
    expect(await raw.exists("Book:Dune")).toBe(0);
    expect(await raw.zscore("$SortF:Book:pages", "Book:Dune Messiah")).toBe("412");
    expect(await raw.sismember("$KeyF:Book:title:Dune", "Book:Dune")).toBe(0);
  });
});

describe("atomicIncrement", () => {
  it("adds to the hash and the sorted score together, from the stored value", async () => {
    const book = await Book.create({ title: "Dune", pages: 412 });
    const stale = await Book.load({ title: "Dune" });
    expect(await book.atomicIncrement("pages", 8)).toBe(420);
    expect(await stale!.atomicIncrement("pages", 10)).toBe(430);
    expect(await raw.zscore("$SortF:Book:pages", "Book:Dune")).toBe("430");
    expect(await hexOf("Book:Dune", "pages")).toBe("cd01ae");
    expect(await book.atomicIncrement("sold", 2)).toBe(2);
    expect(await stale!.atomicIncrement("sold", 3)).toBe(5);
    expect(await book.atomicIncrement("price", "1.10")).toBe("1.10");
    expect(await book.atomicIncrement("price", "0.05")).toBe("1.15");
    expect((await Book.load({ title: "Dune" }))?.sold).toBe(5);
  });

  it("concurrent increments are all counted", async () => {
    await Book.create({ title: "Dune", pages: 1 });
    const copies = await Promise.all(Array.from({ length: 10 }, () => Book.load({ title: "Dune" })));
    await Promise.all(copies.map((c) => c!.atomicIncrement("sold", 1)));
    expect((await Book.load({ title: "Dune" }))?.sold).toBe(10);
  });
});
