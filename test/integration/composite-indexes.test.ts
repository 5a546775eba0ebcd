/**
 * Composite indexes (model option `indexes`): one `$CompositeF:Model:a+b:<a>:<b>` set per
 * combination, kept exact on every write (create, save, partial save, key change, delete, onDelete),
 * read by the planner when a filter gives every field of an index by equality, and, with
 * `unique: true`, enforced inside the write script so racing writers cannot both win.
 */
import { describe, expect, it } from "vitest";
import {
  IndexedField,
  IntField,
  KeyField,
  Model,
  ModelDefinitionError,
  Relationship,
  SortedField,
  UniqueViolationError,
} from "../../src/index.js";
import { caught, dump } from "../support/inspect.js";
import { allKeys, ON_CLUSTER, raw, useRedis } from "../support/redis.js";

useRedis();

/**
 * A related key escaped as one part begins with the related model's name, tagged on a cluster
 * (`{Author}{&#58;}Tolkien`, docs/storage.md §7): the test client cannot translate it, since its
 * standalone spelling is also that of a key value (`Author:Tolkien` escaped).
 */
const AUTHOR = ON_CLUSTER ? "{Author}" : "Author";

class Author extends Model("Author", { name: KeyField() }) {}
class Book extends Model(
  "Book",
  {
    title: KeyField(),
    author: Relationship(Author, { onDelete: "setNull" }),
    year: SortedField({ type: "int" }),
    lang: IndexedField({ null: true }),
    copies: IntField({ default: 0 }),
  },
  {
    indexes: [
      ["author", "year"],
      ["lang", "year"],
    ],
  },
) {}
class Edition extends Model(
  "Edition",
  { code: KeyField(), isbn: IndexedField(), number: IndexedField({ type: "int", null: true }) },
  { indexes: [{ fields: ["isbn", "number"], unique: true }] },
) {}

/** Every `$CompositeF` key with its members, sorted. */
async function compositeKeys(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const key of (await allKeys()).sort())
    if (key.startsWith("$CompositeF:")) out[key] = (await raw.smembers(key)).sort();
  return out;
}

describe("composite index storage", () => {
  it("one set per combination, named by the fields and their parts (a related key escaped again)", async () => {
    const tolkien = await Author.create({ name: "Tol-kien" });
    await Book.create({ title: "The Hobbit", author: tolkien, year: 1937, lang: "en" });
    await Book.create({ title: "Silmarillion", author: tolkien, year: 1977 });
    expect(await compositeKeys()).toEqual({
      [`$CompositeF:Book:author+year:${AUTHOR}{&#58;}Tol///-kien:1937`]: ["Book:The Hobbit"],
      [`$CompositeF:Book:author+year:${AUTHOR}{&#58;}Tol///-kien:1977`]: ["Book:Silmarillion"],
      "$CompositeF:Book:lang+year:en:1937": ["Book:The Hobbit"],
      "$CompositeF:Book:lang+year:None:1977": ["Book:Silmarillion"],
    });
  });

  it("a change of one field moves the instance between sets, by full, dirty and partial saves", async () => {
    const book = await Book.create({ title: "Dune", year: 1965, lang: "en" });
    book.year = 1966;
    await book.save();
    expect(Object.keys(await compositeKeys())).toEqual([
      "$CompositeF:Book:author+year:None:1966",
      "$CompositeF:Book:lang+year:en:1966",
    ]);
    // A stale copy changes only lang: the set is named by the stored year, not its own.
    const stale = await Book.load({ title: "Dune" });
    const fresh = await Book.load({ title: "Dune" });
    fresh!.year = 1970;
    await fresh!.save();
    stale!.lang = "fr";
    await stale!.save();
    expect(await compositeKeys()).toEqual({
      "$CompositeF:Book:author+year:None:1970": ["Book:Dune"],
      "$CompositeF:Book:lang+year:fr:1970": ["Book:Dune"],
    });
    fresh!.lang = "de";
    await fresh!.save({ fields: ["lang"] });
    expect(Object.keys(await compositeKeys())).toContain("$CompositeF:Book:lang+year:de:1970");
    expect(Object.keys(await compositeKeys())).toHaveLength(2);
  });

  it("a key change, a delete and an onDelete setNull keep the sets exact", async () => {
    const author = await Author.create({ name: "Herbert" });
    const book = await Book.create({ title: "Dune", author, year: 1965 });
    book.title = "Dune I";
    await book.save();
    expect((await compositeKeys())[`$CompositeF:Book:author+year:${AUTHOR}{&#58;}Herbert:1965`]).toEqual([
      "Book:Dune I",
    ]);
    await author.delete(); // setNull: the book's author becomes null
    expect(await compositeKeys()).toEqual({
      "$CompositeF:Book:author+year:None:1965": ["Book:Dune I"],
      "$CompositeF:Book:lang+year:None:1965": ["Book:Dune I"],
    });
    await (await Book.load({ title: "Dune I" }))!.delete();
    expect(await compositeKeys()).toEqual({});
  });
});

describe("composite index queries", () => {
  const library = async (): Promise<void> => {
    const tolkien = await Author.create({ name: "Tolkien" });
    const leguin = await Author.create({ name: "Le Guin" });
    await Book.create({ title: "The Hobbit", author: tolkien, year: 1937, lang: "en" });
    await Book.create({ title: "Farmer Giles", author: tolkien, year: 1949, lang: "en" });
    await Book.create({ title: "Earthsea", author: leguin, year: 1968, lang: "en" });
    await Book.create({ title: "Le Hobbit", author: tolkien, year: 1937, lang: "fr" });
  };

  it("a filter giving every field of an index by equality reads its one set", async () => {
    await library();
    const query = Book.query.filter({ author: "Author:Tolkien", year: 1937 });
    expect((await query).map((b) => b.title).sort()).toEqual(["Le Hobbit", "The Hobbit"]);
    // The set filters; the year's sorted set only orders (Popoto's default: by the score filtered on).
    const plan = await query.explain();
    expect(plan.indexKeys).toEqual([
      `$CompositeF:Book:author+year:${AUTHOR}{&#58;}Tolkien:1937`,
      "$SortF:Book:year",
    ]);
    const three = Book.query.filter({ author: "Author:Tolkien", year: 1937, lang: "fr" });
    expect((await three).map((b) => b.title)).toEqual(["Le Hobbit"]);
    expect((await three.explain()).indexKeys).toEqual([
      `$CompositeF:Book:author+year:${AUTHOR}{&#58;}Tolkien:1937`,
      "$IndexF:Book:lang:fr",
      "$SortF:Book:year",
    ]);
  });

  it("null is a value of the combination; a filter missing a field uses the single-field indexes", async () => {
    await library();
    await Book.create({ title: "Untitled", year: 1937 });
    expect((await Book.query.filter({ lang: null, year: 1937 })).map((b) => b.title)).toEqual(["Untitled"]);
    const partial = Book.query.filter({ author: "Author:Tolkien" });
    expect((await partial).length).toBe(3);
    expect((await partial.explain()).indexKeys).toEqual(["$RelationshipF:Book:author:Author:Tolkien"]);
    const ranged = Book.query.filter({ author: "Author:Tolkien", year__gte: 1940 });
    expect((await ranged).map((b) => b.title)).toEqual(["Farmer Giles"]);
  });
});

describe("unique composite indexes", () => {
  it("refuses a combination another instance holds, naming the fields, values and holder", async () => {
    await Edition.create({ code: "a", isbn: "978-0", number: 1 });
    const before = await dump();
    const error = await caught(
      () => Edition.create({ code: "b", isbn: "978-0", number: 1 }),
      UniqueViolationError,
    );
    expect(error.code).toBe("UNIQUE_VIOLATION");
    expect(error.field).toBe("isbn+number");
    expect(error.value).toEqual(["978-0", 1]);
    expect(error.holder).toBe("Edition:a");
    expect(error.message).toContain("isbn, number must be unique together");
    expect(await dump()).toEqual(before);
    await Edition.create({ code: "c", isbn: "978-0", number: 2 });
  });

  it("an update onto a held combination fails; null never clashes; a freed combination is free", async () => {
    await Edition.create({ code: "a", isbn: "x", number: 1 });
    const b = await Edition.create({ code: "b", isbn: "x", number: 2 });
    b.number = 1;
    await caught(() => b.save(), UniqueViolationError);
    await caught(() => b.save({ fields: ["number"] }), UniqueViolationError);
    await Edition.create({ code: "n1", isbn: "x", number: null });
    await Edition.create({ code: "n2", isbn: "x", number: null });
    await (await Edition.load({ code: "a" }))!.delete();
    await b.save();
    expect((await raw.smembers("$CompositeF:Edition:isbn+number:x:1")).sort()).toEqual(["Edition:b"]);
  });

  it("racing creates of one combination: exactly one wins", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => Edition.create({ code: `r${i}`, isbn: "race", number: 7 })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(UniqueViolationError);
    expect(await raw.scard("$CompositeF:Edition:isbn+number:race:7")).toBe(1);
    expect(await raw.scard("$Class:Edition")).toBe(1);
  });
});

describe("composite indexes and atomicIncrement", () => {
  it("an increment of a field of a composite index moves the instance to its new combination's set", async () => {
    const book = await Book.create({ title: "Dune", year: 1965, lang: "en" });
    await book.atomicIncrement("year", 1);
    expect(await compositeKeys()).toEqual({
      "$CompositeF:Book:author+year:None:1966": ["Book:Dune"],
      "$CompositeF:Book:lang+year:en:1966": ["Book:Dune"],
    });
  });
});

describe("composite indexes and the index tools", () => {
  it("check finds stale and missing composite entries; clean and rebuild repair them", async () => {
    await Book.create({ title: "Dune", year: 1965, lang: "en" });
    await raw.srem("$CompositeF:Book:lang+year:en:1965", "Book:Dune");
    await raw.sadd("$CompositeF:Book:lang+year:en:1900", "Book:Dune");
    const summary = (await Book.checkIndexes()).differences.map((d) => `${d.kind} ${d.index}`).sort();
    expect(summary).toEqual([
      "missing $CompositeF:Book:lang+year:en:1965",
      "stale $CompositeF:Book:lang+year:en:1900",
    ]);
    await Book.cleanIndexes();
    await Book.rebuildIndexes();
    expect((await Book.checkIndexes()).differences).toEqual([]);
  });
});

describe("composite index declarations", () => {
  it("refuses unknown, repeated, too few or unindexable fields, naming the model and the fix", () => {
    const define = (indexes: unknown): unknown =>
      Model(
        `Bad${Math.random().toString(36).slice(2, 8)}`,
        { a: KeyField(), b: IndexedField(), plain: IntField() },
        { indexes: indexes as never },
      );
    expect(() => define([["a", "nope"]])).toThrow(/not a field of/);
    expect(() => define([["a"]])).toThrow(/fewer than two fields/);
    expect(() => define([["a", "a"]])).toThrow(/names a field twice/);
    expect(() => define([["a", "plain"]])).toThrow(/filterable by equality/);
    expect(() =>
      define([
        ["a", "b"],
        ["a", "b"],
      ]),
    ).toThrow(/declared twice/);
    expect(() => define("a,b")).toThrow(ModelDefinitionError);
    expect(() => define([{ fields: ["a", "b"], unique: "yes" }])).toThrow(/\{ fields, unique \}/);
  });
});
