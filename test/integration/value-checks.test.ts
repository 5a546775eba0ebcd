/**
 * Validation beyond types against the real Redis: `min`, `max`, `pattern`, `choices` and
 * `validate` on field options. Every problem of an instance comes in one ValidationError, before
 * anything is written; lookups never apply the checks (data stored before a check was declared
 * still loads); bad declarations fail in Model(); and `Model.schema` validates a create() input
 * as a Standard Schema v1 without writing.
 */
import { describe, expect, it } from "vitest";
import {
  AutoKeyField,
  DatetimeField,
  DecimalField,
  Field,
  IntField,
  KeyField,
  Model,
  ModelDefinitionError,
  Relationship,
  SortedField,
  StringField,
  TimeField,
  ValidationError,
} from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { allKeys, raw, useRedis } from "../support/redis.js";

useRedis();

class Shelf extends Model("VcShelf", { name: KeyField() }) {}

class Book extends Model("VcBook", {
  slug: KeyField({ pattern: /^[a-z0-9-]+$/g }), // a global flag must not make tests alternate
  pages: SortedField({ type: "int", min: 1, max: 5000 }),
  genre: Field({ choices: ["sf", "fantasy"], null: true }),
  price: DecimalField({ min: "0.01", max: "999.99", null: true }),
  opens: TimeField({ min: "09:00", max: "17:30", null: true }),
  published: DatetimeField({ min: new Date("1450-01-01T00:00:00Z"), null: true }),
  isbn: StringField({
    null: true,
    pattern: /^\d+$/,
    validate: (isbn) => (isbn.length === 13 ? undefined : `has ${isbn.length} digits; an ISBN has 13`),
  }),
  rating: IntField({ default: 3, choices: [1, 2, 3, 4, 5] }),
  shelf: Relationship(Shelf),
  added: DatetimeField({ autoNowAdd: true }),
}) {}

const bad = {
  slug: "Not A Slug",
  pages: 0,
  genre: "horror",
  price: "0.001",
  opens: "08:59:59",
  published: new Date("1400-06-01T00:00:00Z"),
  isbn: "12a",
  rating: 6,
};

describe("checks on save", () => {
  it("reports every problem of an instance in one ValidationError, and writes nothing", async () => {
    const error = await caught(() => Book.create(bad), ValidationError);
    expect(error.code).toBe("VALIDATION");
    expect(error.issues.map(({ field, value, message }) => ({ field, value, message }))).toEqual([
      {
        field: "slug",
        value: "Not A Slug",
        message: 'is "Not A Slug", which does not match /^[a-z0-9-]+$/g',
      },
      { field: "pages", value: 0, message: "is 0, below the minimum 1" },
      { field: "genre", value: "horror", message: 'is "horror", not one of the choices "sf", "fantasy"' },
      { field: "price", value: "0.001", message: 'is "0.001", below the minimum "0.01"' },
      {
        field: "opens",
        value: "08:59:59.000000",
        message: 'is "08:59:59.000000", below the minimum "09:00:00.000000"',
      },
      {
        field: "published",
        value: new Date("1400-06-01T00:00:00Z"),
        message: "is 1400-06-01T00:00:00.000Z, below the minimum 1450-01-01T00:00:00.000Z",
      },
      // pattern failed, so validate did not run on "12a"
      { field: "isbn", value: "12a", message: 'is "12a", which does not match /^\\d+$/' },
      { field: "rating", value: 6, message: "is 6, not one of the choices 1, 2, 3, 4, 5" },
    ]);
    expect(error.message).toContain("VcBook cannot be saved: 8 invalid fields");
    expect(error.message).toContain("VcBook.pages: is 0, below the minimum 1");
    expect(await allKeys()).toEqual([]);
  });

  it("type problems and check problems come together", async () => {
    const error = await caught(
      () => Book.create({ ...bad, pages: "many" as unknown as number }),
      ValidationError,
    );
    expect(error.issues.map((issue) => issue.field)).toEqual([
      "slug",
      "pages",
      "genre",
      "price",
      "opens",
      "published",
      "isbn",
      "rating",
    ]);
    expect(error.issues[1]?.message).toBe('expected int (a safe integer), received string "many"');
  });

  it("bounds are inclusive and compared exactly (decimals as Python's Decimal, times as clock times)", async () => {
    const edge = await Book.create({
      slug: "edge",
      pages: 5000,
      price: "999.990",
      opens: "17:30",
      published: new Date("1450-01-01T00:00:00Z"),
      isbn: "9780441013593",
      genre: "sf",
    });
    expect(await raw.exists(edge.redisKey)).toBe(1);
    const low = await Book.create({ slug: "low", pages: 1, price: "0.01", opens: "09:00:00.000000" });
    expect(low.price).toBe("0.01");
    const over = await caught(
      () => Book.create({ slug: "over", pages: 1, price: "999.9900001" }),
      ValidationError,
    );
    expect(over.issues.map((i) => i.message)).toEqual(['is "999.9900001", above the maximum "999.99"']);
  });

  it("the pattern of a global RegExp gives every save the same answer", async () => {
    for (const slug of ["one", "two", "three"]) await Book.create({ slug, pages: 10 });
    expect((await allKeys()).filter((key) => key.startsWith("VcBook:")).sort()).toEqual([
      "VcBook:one",
      "VcBook:three",
      "VcBook:two",
    ]);
  });

  it("validate's message is the issue, and it runs on values that passed the other checks", async () => {
    const error = await caught(() => Book.create({ slug: "b", pages: 10, isbn: "978" }), ValidationError);
    expect(error.issues).toEqual([
      {
        field: "isbn",
        value: "978",
        expected: "a value its validate() accepts",
        received: '"978"',
        message: "has 3 digits; an ISBN has 13",
      },
    ]);
  });

  it("save() and a partial save check what they write; nothing changes in Redis on failure", async () => {
    const book = await Book.create({ slug: "dune", pages: 412 });
    const before = await raw.hgetallBuffer("VcBook:dune");
    book.pages = 6000;
    book.genre = "romance";
    const error = await caught(() => book.save(), ValidationError);
    expect(error.issues.map((i) => i.field)).toEqual(["pages", "genre"]);
    await caught(() => book.save({ fields: ["genre"] }), ValidationError);
    expect(await raw.hgetallBuffer("VcBook:dune")).toEqual(before);
    expect(await raw.zscore("$SortF:VcBook:pages", "VcBook:dune")).toBe("412");
  });

  it("bulkCreate checks every item first: one bad item, nothing written", async () => {
    const error = await caught(
      () =>
        Book.bulkCreate([
          { slug: "a", pages: 1 },
          { slug: "b", pages: 0 },
        ]),
      ValidationError,
    );
    expect(error.issues.map((i) => [i.field, i.value])).toEqual([["pages", 0]]);
    expect(await allKeys()).toEqual([]);
  });

  it("lookups never apply the checks: a stored value that fails them still loads and is found", async () => {
    const book = await Book.create({ slug: "old", pages: 100, rating: 4 });
    // As if written before `choices` was declared (or by another client): rating 9, msgpack 0x09.
    await raw.hset("VcBook:old", "rating", Buffer.from([0x09]));
    const loaded = await Book.load({ slug: "old" });
    expect(loaded?.rating).toBe(9);
    expect(await Book.load({ slug: "Not A Slug" })).toBeNull(); // a key the pattern refuses: absent, not invalid
    expect(await Book.query().filter({ pages__lt: 1 }).count()).toBe(0);
    // A partial save of another field writes; a full save reports the stored value that fails.
    (loaded as Book).pages = 120;
    await (loaded as Book).save({ fields: ["pages"] });
    expect(await raw.zscore("$SortF:VcBook:pages", book.redisKey)).toBe("120");
    const error = await caught(() => (loaded as Book).save({ fields: ["rating"] }), ValidationError);
    expect(error.issues.map((i) => [i.field, i.value])).toEqual([["rating", 9]]);
  });
});

describe("declarations", () => {
  const refused = (define: () => unknown): string => {
    try {
      define();
    } catch (error) {
      expect(error).toBeInstanceOf(ModelDefinitionError);
      return (error as Error).message;
    }
    throw new Error("the declaration was accepted");
  };
  // What untyped (JavaScript) callers can pass; TypeScript refuses these (test/types/validation.test-d.ts).
  const loose = (options: Record<string, unknown>): never => options as never;

  it("refuses a check on a type it has no use for", () => {
    expect(refused(() => Model("VcBad1", { name: Field(loose({ min: 1 })) }))).toBe(
      'Model VcBad1: Field "name" has min, which applies to int, float, decimal, date, datetime, time fields only; ' +
        "it holds string values. Remove min, or use validate for your own check.",
    );
    expect(refused(() => Model("VcBad2", { n: IntField(loose({ pattern: /1/ })) }))).toContain(
      'IntField "n" has pattern, which applies to string fields only; it holds int values. Remove pattern.',
    );
    expect(
      refused(() => Model("VcBad3", { id: AutoKeyField(loose({ validate: () => undefined })) })),
    ).toContain('AutoKeyField "id" has unknown option "validate"');
  });

  it("refuses bounds and choices that are not values of the field, min above max, and a bad pattern or validate", () => {
    expect(refused(() => Model("VcBad4", { n: IntField(loose({ min: "1" })) }))).toContain(
      'has min "1", which is not a valid int',
    );
    expect(refused(() => Model("VcBad5", { n: IntField({ min: 5, max: 1 }) }))).toContain(
      "has min 5 above max 1; no value could be saved. Swap them.",
    );
    expect(refused(() => Model("VcBad6", { s: StringField(loose({ pattern: "^a" })) }))).toContain(
      'has pattern "^a"; give a RegExp',
    );
    expect(refused(() => Model("VcBad7", { s: StringField({ choices: [] }) }))).toContain(
      "has choices that are not a non-empty array",
    );
    expect(refused(() => Model("VcBad8", { s: StringField(loose({ validate: "yes" })) }))).toContain(
      "has validate that is not a function",
    );
  });

  it("refuses a default that fails the field's own checks", () => {
    expect(refused(() => Model("VcBad9", { n: IntField({ min: 5, default: 1 }) }))).toContain(
      'IntField "n" has a default that fails its own checks: it is 1, below the minimum 5.',
    );
  });
});

describe("Model.schema (Standard Schema v1)", () => {
  const standard = Book.schema["~standard"];

  it("says version 1, vendor popoto, and is one object per model", () => {
    expect(standard.version).toBe(1);
    expect(standard.vendor).toBe("popoto");
    expect(Book.schema).toBe(Book.schema);
  });

  it("gives { value } with the given fields converted, leaving out what create() fills in", async () => {
    const shelf = await Shelf.create({ name: "top" });
    const result = standard.validate({
      slug: "dune",
      pages: 412,
      published: "1965-08-01T00:00:00Z",
      shelf,
      price: 12.5,
    });
    expect(result).toEqual({
      value: {
        slug: "dune",
        pages: 412,
        published: new Date("1965-08-01T00:00:00Z"),
        shelf: "VcShelf:top",
        price: "12.5",
      },
    });
    expect(result.issues).toBeUndefined();
    expect(await allKeys()).toEqual(["$Class:VcShelf", "$KeyF:VcShelf:name:top", "VcShelf:top"].sort());
    const book = await Book.create(result.issues === undefined ? result.value : { slug: "", pages: 0 });
    expect(book.rating).toBe(3);
    expect(await raw.exists("VcBook:dune")).toBe(1);
  });

  it("gives every issue with the field as its path, and writes nothing", async () => {
    const result = standard.validate({ ...bad, extra: true });
    expect(result.issues?.map((issue) => issue.path)).toEqual([
      ["extra"],
      ["slug"],
      ["pages"],
      ["genre"],
      ["price"],
      ["opens"],
      ["published"],
      ["isbn"],
      ["rating"],
    ]);
    expect(result.issues?.[0]?.message).toBe(
      "is not a field of VcBook; remove it or declare it in the model",
    );
    expect(standard.validate({}).issues?.map((issue) => [issue.path, issue.message])).toEqual([
      [["slug"], "is required (expected string, received undefined)"],
      [["pages"], "is required (expected int, received undefined)"],
    ]);
    expect(await allKeys()).toEqual([]);
  });

  it("refuses input that is not an object, with no path", () => {
    for (const input of [null, "dune", [1], 3])
      expect(standard.validate(input)).toEqual({
        issues: [{ message: expect.stringMatching(/^expected an object of VcBook field values, received /) }],
      });
  });
});
