import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import {
  Field,
  IntField,
  KeyField,
  Model,
  Relationship,
  SortedField,
  UniqueField,
  UniqueViolationError,
  type ModelEvent,
} from "../../src/index.js";
import { allKeys, raw, TEST_URL, useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

class Author extends Model("Author", { name: KeyField(), country: Field({ null: true }) }) {}
const bookFields = {
  title: KeyField(),
  author: Relationship(Author),
  pages: SortedField({ type: "int" }),
  sold: IntField({ default: 0 }),
};
class Book extends Model("Book", bookFields) {}
/**
 * The events test has a model of its own: on a cluster a PUBLISH reaches the other nodes over the
 * cluster bus, so an earlier test's events (Book's bulk deletes) may still arrive after this
 * test subscribes; on its own channel nothing but this test's writes is announced.
 */
class Diary extends Model("Diary", bookFields, { events: true }) {}
class User extends Model("User", { email: UniqueField(), name: Field() }) {}

describe("getOrCreate and updateOrCreate", () => {
  it("returns the stored instance, or creates it once", async () => {
    const [a, created] = await Author.getOrCreate({ name: "Le Guin" }, { country: "US" });
    expect(created).toBe(true);
    expect(a.country).toBe("US");
    const [b, again] = await Author.getOrCreate({ name: "Le Guin" }, { country: "FR" });
    expect(again).toBe(false);
    expect(b.country).toBe("US");
    const [c, createdNow] = await Author.updateOrCreate({ name: "Le Guin" }, { country: "UK" });
    expect(createdNow).toBe(false);
    expect(c.country).toBe("UK");
    expect((await Author.load({ name: "Le Guin" }))?.country).toBe("UK");
  });

  it("two racing callers get one instance, one of them `created`", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => Author.getOrCreate({ name: "Racer" }, { country: "X" })),
    );
    expect(results.filter(([, created]) => created)).toHaveLength(1);
    expect(await Author.query.count()).toBe(1);
  });

  it("is race-safe through a UniqueField when the key is generated", async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, () => User.getOrCreate({ email: "a@x" }, { name: "A" })),
    );
    expect(results.filter(([, created]) => created)).toHaveLength(1);
    expect(await User.query.count()).toBe(1);
    expect(new Set(results.map(([u]) => u.redisKey)).size).toBe(1);
  });
});

describe("bulk operations", () => {
  it("bulkCreate validates everything first, then writes in pipelines", async () => {
    const tolkien = await Author.create({ name: "Tolkien" });
    const items = Array.from({ length: 250 }, (_, i) => ({ title: `T${i}`, author: tolkien, pages: i }));
    await expect(
      Book.bulkCreate([...items, { title: "bad", author: tolkien, pages: "x" as unknown as number }]),
    ).rejects.toThrow(/pages/);
    expect(await Book.query.count()).toBe(0);
    const progress: number[] = [];
    const { roundTrips } = await countTraffic(() =>
      Book.bulkCreate(items, { batchSize: 100, onProgress: (done) => progress.push(done) }),
    );
    expect(roundTrips).toBeLessThanOrEqual(4);
    expect(progress).toEqual([100, 200, 250]);
    expect(await Book.query.count()).toBe(250);
    expect(await raw.scard("$RelationshipF:Book:author:Author:Tolkien")).toBe(250);
  });

  it("bulkUpdate saves changes (or only some fields); bulkDelete and deleteAll remove everything", async () => {
    const tolkien = await Author.create({ name: "Tolkien" });
    const books = await Book.bulkCreate(
      Array.from({ length: 30 }, (_, i) => ({ title: `T${i}`, author: tolkien, pages: i })),
    );
    for (const b of books) b.pages += 1000;
    expect(await Book.bulkUpdate(books, { fields: ["pages"] })).toBe(30);
    expect(await Book.query.count({ pages__gte: 1000 })).toBe(30);
    expect(await Book.bulkDelete(books.slice(0, 10))).toBe(10);
    expect(await Book.query.count()).toBe(20);
    expect(await Book.deleteAll({ batchSize: 7 })).toBe(20);
    await Author.deleteAll();
    expect(await allKeys()).toEqual([]);
  });
});

describe("exists, fields, toDict", () => {
  it("exists() is one EXISTS; fields describes the model; toDict nests loaded relationships", async () => {
    const tolkien = await Author.create({ name: "Tolkien", country: "UK" });
    await Book.create({ title: "LOTR", author: tolkien, pages: 1178 });
    expect(await Book.exists({ title: "LOTR" })).toBe(true);
    expect(await Book.exists("Book:Nope")).toBe(false);
    expect(Book.fields.author).toMatchObject({ kind: "relationship", target: "Author", key: false });
    expect(Book.fields.title).toMatchObject({ kind: "key", type: "string", key: true });
    const [book] = await Book.query.filter({ title: "LOTR" }).include("author");
    expect(book!.toDict()).toEqual({ title: "LOTR", author: "Author:Tolkien", pages: 1178, sold: 0 });
    expect(book!.toDict({ relationships: true })).toEqual({
      title: "LOTR",
      author: { name: "Tolkien", country: "UK" },
      pages: 1178,
      sold: 0,
    });
    expect(book!.toDict({ include: ["title"] })).toEqual({ title: "LOTR" });
  });

  it("UniqueField is enforced and indexed in $UniquF", async () => {
    const ann = await User.create({ email: "ann@x", name: "Ann" });
    expect(await raw.smembers("$UniquF:User:email:ann@x")).toEqual([ann.redisKey]);
    await expect(User.create({ email: "ann@x", name: "Other" })).rejects.toBeInstanceOf(UniqueViolationError);
    expect(await User.query.count()).toBe(1);
    expect((await User.query.get({ email: "ann@x" }))?.name).toBe("Ann");
  });
});

describe("model change events", () => {
  it("publishes { model, key, op, fields } after each committed save and delete", async () => {
    const events: ModelEvent[] = [];
    const sub = Diary.subscribe((event) => {
      events.push(event);
    });
    await sub.ready;
    const tolkien = await Author.create({ name: "Tolkien" });
    const book = await Diary.create({ title: "LOTR", author: tolkien, pages: 1 });
    await book.atomicIncrement("sold", 2);
    book.title = "The Lord of the Rings";
    await book.save();
    await book.delete();
    // A write that fails its checks announces nothing.
    await expect(Diary.create({ title: "x", author: tolkien, pages: Number.NaN })).rejects.toThrow();
    const watcher = new Redis(TEST_URL);
    await watcher.ping();
    await watcher.quit();
    // Up to 5 s for the four (a cluster relays a PUBLISH between nodes over its bus).
    for (let i = 0; i < 500 && events.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    await sub.close();
    expect(events).toEqual([
      { model: "Diary", key: "Diary:LOTR", op: "save", fields: ["title", "author", "pages", "sold"] },
      { model: "Diary", key: "Diary:LOTR", op: "save", fields: ["sold"] },
      // A save of a loaded (or saved) instance writes, and announces, the fields it changed.
      {
        model: "Diary",
        key: "Diary:The Lord of the Rings",
        op: "save",
        fields: ["title"],
        previousKey: "Diary:LOTR",
      },
      { model: "Diary", key: "Diary:The Lord of the Rings", op: "delete", fields: [] },
    ]);
  });
});
