import { describe, expect, it } from "vitest";
import { Field, KeyField, Model, Reference, Relationship, SortedField } from "../../src/index.js";
import { raw, useRedis } from "../support/redis.js";

useRedis();

class Person extends Model("Person", { name: KeyField() }) {}
class Membership extends Model("Membership", { person: Relationship(Person), role: Field() }) {}
class Author extends Model("Author", { name: KeyField(), country: Field({ null: true }) }) {}
class Book extends Model("Book", {
  title: KeyField(),
  author: Relationship(() => Author),
  pages: SortedField({ type: "int" }),
}) {}

describe("relationships: the reference page's examples", () => {
  it("Person/Membership: filter by instance, by key, through the relationship", async () => {
    const alice = await Person.create({ name: "Alice" });
    const m = await Membership.create({ person: alice, role: "admin" });
    expect(await raw.smembers("$RelationshipF:Membership:person:Person:Alice")).toEqual([m.redisKey]);
    expect((await raw.hgetBuffer(m.redisKey, "person"))?.toString("hex")).toBe(
      Buffer.concat([Buffer.from([0xac]), Buffer.from("Person:Alice")]).toString("hex"),
    );
    for (const where of [{ person: alice }, { person: "Person:Alice" }, { person__name: "Alice" }]) {
      const found = await Membership.query.filter(where);
      expect(found.map((x) => x.redisKey)).toEqual([m.redisKey]);
    }
    expect(m.person?.redisKey).toBe("Person:Alice");
    const loaded = await Membership.query.get({ person: alice });
    expect(loaded?.person).toBeInstanceOf(Reference);
    const p = await loaded?.person?.load();
    expect(p?.name).toBe("Alice");
  });

  it("Author/Book: all books by Tolkien, reassignment moves the book", async () => {
    const tolkien = await Author.create({ name: "Tolkien" });
    const lewis = await Author.create({ name: "Lewis" });
    await Book.create({ title: "The Hobbit", author: tolkien, pages: 310 });
    await Book.create({ title: "LOTR", author: tolkien, pages: 1178 });
    const books = await Book.query.filter({ author: tolkien }).orderBy("pages");
    expect(books.map((b) => b.title)).toEqual(["The Hobbit", "LOTR"]);
    const [hobbit] = await Book.query.filter({ title: "The Hobbit" });
    hobbit!.author = lewis;
    await hobbit!.save();
    expect(await raw.smembers("$RelationshipF:Book:author:Author:Tolkien")).toEqual(["Book:LOTR"]);
    expect(await raw.smembers("$RelationshipF:Book:author:Author:Lewis")).toEqual(["Book:The Hobbit"]);
    expect(await tolkien.related(Book, "author").count()).toBe(1);
    const withAuthors = await Book.query.orderBy("title").include("author");
    expect(withAuthors.map((b) => (b.author as { name?: string } | null)?.name)).toEqual([
      "Tolkien",
      "Lewis",
    ]);
    expect(Book.filterParams()).toContain("author__name__startswith");
  });
});
