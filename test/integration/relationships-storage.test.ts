/**
 * What a relationship writes: the related key in the hash (msgpack str), and the reverse set
 * `$RelationshipF:Model:field:<related key>` (or `…:None`), in the same atomic write. Includes the
 * examples of Popoto's Relationship reference page, with its model names.
 */
import { describe, expect, it } from "vitest";
import { Field, KeyField, Model, Relationship, SortedField, ValidationError } from "../../src/index.js";
import { caught, dump, members, mpstr, specKeys } from "../support/inspect.js";
import { allKeys, hexOf, raw, useRedis } from "../support/redis.js";
import { expectExactReverseSets } from "../support/reverse-sets.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

// The reference page's models (Person/Membership, Author/Book).
class Person extends Model("Person", { name: KeyField() }) {}
class Membership extends Model("Membership", { person: Relationship(Person), role: Field() }) {}
class Author extends Model("Author", { name: KeyField(), country: Field({ null: true }) }) {}
class Book extends Model("Book", { title: KeyField(), author: Relationship(Author) }) {}

// Popoto's multi-key example: key parts in code-point order of the key fields' names.
class Restaurant extends Model("Restaurant", { name: KeyField(), city: KeyField() }) {}
class MenuItem extends Model("MenuItem", {
  name: KeyField(),
  restaurant: Relationship(Restaurant),
  price: SortedField({ type: "float" }),
}) {}

class Note extends Model("Note", { body: Field(), about: Relationship(Person) }) {}

describe("the reference page's examples", () => {
  it("Person/Membership: the hash holds the key, the reverse set holds the membership", async () => {
    const alice = await Person.create({ name: "Alice" });
    const m = await Membership.create({ person: alice, role: "admin" });
    expect(m.redisKey).toMatch(/^Membership:[0-9a-f]{32}$/);
    expect(await dump({ specOnly: true })).toEqual({
      "$Class:Membership": { type: "set", members: [m.redisKey] },
      "$Class:Person": { type: "set", members: ["Person:Alice"] },
      "$KeyF:Person:name:Alice": { type: "set", members: ["Person:Alice"] },
      "$RelationshipF:Membership:person:Person:Alice": { type: "set", members: [m.redisKey] },
      [m.redisKey]: {
        type: "hash",
        fields: {
          _auto_key: mpstr(m.redisKey.slice("Membership:".length)),
          person: mpstr("Person:Alice"),
          role: mpstr("admin"),
        },
      },
      "Person:Alice": { type: "hash", fields: { name: mpstr("Alice") } },
    });
    expect((await Membership.query.filter({ person: alice })).map((x) => x.redisKey)).toEqual([m.redisKey]);
    expect((await Membership.query.filter({ person__name: "Alice" })).map((x) => x.redisKey)).toEqual([
      m.redisKey,
    ]);
  });

  it("Author/Book: all books by Tolkien returns both, from one reverse set", async () => {
    const tolkien = await Author.create({ name: "Tolkien" });
    await Book.create({ title: "The Hobbit", author: tolkien });
    await Book.create({ title: "LOTR", author: tolkien });
    await Book.create({ title: "Narnia", author: await Author.create({ name: "Lewis" }) });
    expect(await members("$RelationshipF:Book:author:Author:Tolkien")).toEqual([
      "Book:LOTR",
      "Book:The Hobbit",
    ]);
    expect(await hexOf("Book:LOTR", "author")).toBe("ae" + Buffer.from("Author:Tolkien").toString("hex"));
    const { result, commands } = await countTraffic(() => Book.query.filter({ author: tolkien }).all());
    expect(result.map((b) => b.title).sort()).toEqual(["LOTR", "The Hobbit"]);
    expect(commands).toEqual(["EVALSHA"]);
  });

  it("the storage spec's example layout, byte for byte", async () => {
    const tolkien = await Author.create({ name: "Tolkien" });
    await Book.create({ title: "The Hobbit", author: tolkien });
    await Book.create({ title: "LOTR", author: tolkien });
    expect(await specKeys()).toEqual([
      "$Class:Author",
      "$Class:Book",
      "$KeyF:Author:name:Tolkien",
      "$KeyF:Book:title:LOTR",
      "$KeyF:Book:title:The Hobbit",
      "$RelationshipF:Book:author:Author:Tolkien",
      "Author:Tolkien",
      "Book:LOTR",
      "Book:The Hobbit",
    ]);
    expect((await raw.hgetallBuffer("Book:LOTR"))["author"]?.toString("hex")).toBe(
      "ae417574686f723a546f6c6b69656e",
    );
  });
});

describe("the hash value", () => {
  it("is the related key as a msgpack str, str8 once it is longer than 31 bytes", async () => {
    const name = "A very long author name indeed, over thirty-one bytes";
    await Book.create({ title: "Long", author: await Author.create({ name }) });
    const key = `Author:${name.replaceAll("-", "/-")}`;
    expect(Buffer.byteLength(key)).toBeGreaterThan(31);
    expect(await hexOf("Book:Long", "author")).toBe(
      `d9${Buffer.byteLength(key).toString(16)}${Buffer.from(key).toString("hex")}`,
    );
    expect(await members(`$RelationshipF:Book:author:${key}`)).toEqual(["Book:Long"]);
  });

  it("is msgpack nil for null, and the instance is in the None set", async () => {
    await Book.create({ title: "Anonymous" });
    expect(await hexOf("Book:Anonymous", "author")).toBe("c0");
    expect(await members("$RelationshipF:Book:author:None")).toEqual(["Book:Anonymous"]);
    expect((await allKeys()).filter((k) => k.startsWith("$RelationshipF:"))).toEqual([
      "$RelationshipF:Book:author:None",
    ]);
  });

  it("is the escaped key of a multi-key target, appended unescaped to the reverse set's name", async () => {
    const palace = await Restaurant.create({ name: "Burger Palace", city: "new-york" });
    expect(palace.redisKey).toBe("Restaurant:new/-york:Burger Palace");
    await MenuItem.create({ name: "Fries", restaurant: palace, price: 3.5 });
    expect(await hexOf("MenuItem:Fries", "restaurant")).toBe(mpstr("Restaurant:new/-york:Burger Palace"));
    expect(await members("$RelationshipF:MenuItem:restaurant:Restaurant:new/-york:Burger Palace")).toEqual([
      "MenuItem:Fries",
    ]);
  });

  it("a target that was never saved is stored as it is", async () => {
    const ghost = new Person({ name: "Ghost" });
    await Book.create({ title: "Haunted", author: "Author:Nobody" });
    await Note.create({ body: "boo", about: ghost });
    expect(await raw.exists("Person:Ghost")).toBe(0);
    expect(await hexOf("Book:Haunted", "author")).toBe(mpstr("Author:Nobody"));
    expect(await members("$RelationshipF:Book:author:Author:Nobody")).toEqual(["Book:Haunted"]);
    expect((await members("$RelationshipF:Note:about:Person:Ghost")).length).toBe(1);
  });
});

describe("related keys with characters that need escaping", () => {
  const awkward = ["a:b", "new-york", "star*", "{brace}", "x:y-z*{w}/v", "{&#58;}", "tab\there", "é ü"];

  it.each(awkward)(
    "name %j: the reverse set is named after the escaped key, and every filter finds it",
    async (name) => {
      const person = await Person.create({ name });
      const m = await Membership.create({ person, role: "r" });
      const escaped = person.redisKey.slice("Person:".length);
      expect(escaped).not.toContain(":");
      const setKey = `$RelationshipF:Membership:person:${person.redisKey}`;
      expect(await members(setKey)).toEqual([m.redisKey]);
      expect(await hexOf(m.redisKey, "person")).toBe(mpstr(person.redisKey));
      for (const where of [
        { person },
        { person: person.redisKey },
        { person__name: name },
        { person__in: [person] },
      ]) {
        expect((await Membership.query.filter(where)).map((x) => x.redisKey)).toEqual([m.redisKey]);
      }
      const loaded = await (await Membership.load(m.redisKey))?.person?.load();
      expect(loaded?.name).toBe(name);
    },
  );

  it("the escaping is Popoto's: ':' as {&#58;}, '-' and '*' prefixed with '/', '{' unchanged", async () => {
    const person = await Person.create({ name: "a:b-c*d{e}" });
    await Membership.create({ person, role: "r" });
    expect(person.redisKey).toBe("Person:a{&#58;}b/-c/*d{e}");
    expect((await allKeys()).filter((k) => k.startsWith("$RelationshipF:"))).toEqual([
      "$RelationshipF:Membership:person:Person:a{&#58;}b/-c/*d{e}",
    ]);
  });

  it("targets whose names differ only by escaped characters keep separate reverse sets", async () => {
    const colon = await Person.create({ name: "a:b" });
    const literal = await Person.create({ name: "a{&#58;}b" });
    const dash = await Person.create({ name: "a-b" });
    const slashDash = await Person.create({ name: "a/-b" });
    for (const person of [colon, literal, dash, slashDash])
      await Membership.create({ person, role: person.name });
    for (const person of [colon, literal, dash, slashDash]) {
      const found = await Membership.query.filter({ person });
      expect(found.map((m) => m.role)).toEqual([person.name]);
      expect((await Membership.query.filter({ person__name: person.name })).map((m) => m.role)).toEqual([
        person.name,
      ]);
    }
    await expectExactReverseSets("Membership", ["person"]);
  });
});

describe("one atomic write", () => {
  it("create writes the hash and the reverse set in one script call", async () => {
    const alice = await Person.create({ name: "Alice" });
    const { commands, roundTrips } = await countTraffic(() =>
      Membership.create({ person: alice, role: "x" }),
    );
    expect(commands).toEqual(["EVALSHA"]);
    expect(roundTrips).toBe(1);
  });

  it("a reassignment moves the referrer between reverse sets in the same script call as the hash write", async () => {
    const alice = await Person.create({ name: "Alice" });
    const bob = await Person.create({ name: "Bob" });
    const m = await Membership.create({ person: alice, role: "x" });
    m.person = bob;
    const { commands } = await countTraffic(() => m.save());
    expect(commands).toEqual(["EVALSHA"]);
    expect(await members("$RelationshipF:Membership:person:Person:Bob")).toEqual([m.redisKey]);
    expect(await raw.exists("$RelationshipF:Membership:person:Person:Alice")).toBe(0);
  });

  it("an invalid value fails before anything is written", async () => {
    const alice = await Person.create({ name: "Alice" });
    const m = await Membership.create({ person: alice, role: "x" });
    const before = await dump();
    m.person = 12 as unknown as Person;
    const { commands } = await countTraffic(() => caught(() => m.save(), ValidationError));
    expect(commands).toEqual([]);
    expect(await dump()).toEqual(before);
  });
});
