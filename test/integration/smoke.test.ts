import { describe, expect, it } from "vitest";
import { KeyField, Model, SortedField, Field } from "../../src/index.js";
import { allKeys, hexOf, raw, useRedis } from "../support/redis.js";

useRedis();

class Book extends Model("Book", {
  title: KeyField(),
  pages: SortedField({ type: "int" }),
  genre: Field({ type: "string", null: true }),
}) {
  get label(): string {
    return `${this.title} (${this.pages} pages)`;
  }
}

describe("smoke", () => {
  it("creates, queries and deletes", async () => {
    const hobbit = await Book.create({ title: "The Hobbit", pages: 310 });
    expect(hobbit.redisKey).toBe("Book:The Hobbit");
    expect(hobbit.label).toBe("The Hobbit (310 pages)");
    await Book.create({ title: "LOTR", pages: 1178 });
    expect(await allKeys()).toEqual([
      "$Class:Book",
      "$KeyF:Book:title:LOTR",
      "$KeyF:Book:title:The Hobbit",
      "$SortF:Book:pages",
      "Book:LOTR",
      "Book:The Hobbit",
    ]);
    expect(await hexOf("Book:LOTR", "pages")).toBe("cd049a");
    const got = await Book.query.get({ title: "The Hobbit" });
    expect(got?.pages).toBe(310);
    const found = await Book.query.filter({ pages__gte: 300, title__startswith: "The" });
    expect(found.map((b) => b.title)).toEqual(["The Hobbit"]);
    expect(await Book.query.count()).toBe(2);
    expect(await Book.query.count({ pages__lt: 1000 })).toBe(1);
    const ordered = await Book.query.orderBy("-pages");
    expect(ordered.map((b) => b.title)).toEqual(["LOTR", "The Hobbit"]);
    hobbit.pages = 320;
    await hobbit.save();
    expect(await raw.zscore("$SortF:Book:pages", "Book:The Hobbit")).toBe("320");
    hobbit.title = "Hobbit";
    await hobbit.save();
    expect(await raw.exists("Book:The Hobbit")).toBe(0);
    expect(await raw.sismember("$KeyF:Book:title:The Hobbit", "Book:The Hobbit")).toBe(0);
    expect(await hobbit.delete()).toBe(true);
    const lotr = await Book.load({ title: "LOTR" });
    await lotr?.delete();
    expect(await allKeys()).toEqual([]);
  });
});
