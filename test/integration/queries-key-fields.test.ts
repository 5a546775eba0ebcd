/**
 * Lookups on key fields: exact, __in, __isnull (true and false), __startswith, __endswith,
 * __contains, on KeyField, UniqueKeyField and AutoKeyField; several lookups intersect; a filter
 * on an unknown, unindexed or unsupported field throws QueryError.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  AutoKeyField,
  Field,
  KeyField,
  Model,
  PopotoError,
  QueryError,
  SortedField,
  UniqueKeyField,
} from "../../src/index.js";
import { caught, fixstr } from "../support/inspect.js";
import { raw, useRedis } from "../support/redis.js";

useRedis();

// band keeps lex indexes (its string lookups read them, or scan when they are incomplete); role
// does not (its string lookups always scan): both paths answer the same lookups.
class Member extends Model("Member", {
  band: KeyField({ null: true, lexIndex: true }),
  role: KeyField({ null: true }),
  name: Field(),
  age: SortedField({ type: "int", default: 20 }),
}) {}

class Product extends Model("Product", {
  sku: UniqueKeyField(),
  qty: KeyField({ type: "int" }),
  active: KeyField({ type: "boolean" }),
}) {}

class Token extends Model("Token", { id: AutoKeyField(), label: Field() }) {}
class Tagged extends Model("Tagged", { id: AutoKeyField({ length: 8 }), tag: KeyField() }) {}
class Note extends Model("Note", { body: Field() }) {}

const names = (rows: { name: string }[]): string[] => rows.map((r) => r.name).sort();

/** A model's query without filter typing, for lookups the compiler rightly refuses. */
const untyped = (model: { readonly query: unknown }) =>
  model.query as { filter(where: unknown): PromiseLike<unknown[]> };

describe("KeyField lookups", () => {
  beforeEach(async () => {
    await Member.create({ band: "BLACKPINK", role: "singer", name: "Jisoo" });
    await Member.create({ band: "BLACKPINK", role: "rapper", name: "Lisa" });
    await Member.create({ band: "BLACKPINK", role: "dancer", name: "Jennie" });
    await Member.create({ band: "Mamamoo", role: "singer", name: "Solar" });
    await Member.create({ band: "Mamamoo", role: "rapper", name: "Moonbyul" });
    await Member.create({ band: "BTS", role: null, name: "Trainee" });
    await Member.create({ band: null, role: null, name: "Nobody" });
    await Member.create({ band: "Café Ü", role: "singer", name: "Unicode" });
  });

  it("exact match, case-sensitive", async () => {
    expect(names(await Member.query.filter({ band: "BLACKPINK" }))).toEqual(["Jennie", "Jisoo", "Lisa"]);
    expect(await Member.query.filter({ band: "blackpink" })).toEqual([]);
    expect(await Member.query.filter({ band: "BLACK" })).toEqual([]);
    expect(names(await Member.query.filter({ role: "singer" }))).toEqual(["Jisoo", "Solar", "Unicode"]);
    expect(await Member.query.count({ band: "Mamamoo" })).toBe(2);
    expect(names(await Member.query.filter({ band: "Café Ü" }))).toEqual(["Unicode"]);
  });

  it("exact null matches the None set", async () => {
    expect(names(await Member.query.filter({ band: null }))).toEqual(["Nobody"]);
    expect(names(await Member.query.filter({ role: null }))).toEqual(["Nobody", "Trainee"]);
  });

  it("__in is the union of the values; an empty list matches nothing", async () => {
    expect(names(await Member.query.filter({ band__in: ["Mamamoo", "BTS"] }))).toEqual([
      "Moonbyul",
      "Solar",
      "Trainee",
    ]);
    expect(names(await Member.query.filter({ band__in: ["Mamamoo", "Mamamoo"] }))).toEqual([
      "Moonbyul",
      "Solar",
    ]);
    expect(await Member.query.filter({ band__in: [] })).toEqual([]);
    expect(await Member.query.count({ band__in: [] })).toBe(0);
    expect(await Member.query.filter({ band__in: ["nope"] })).toEqual([]);
    expect(await Member.query.count({ band__in: ["Mamamoo", "BTS", "BLACKPINK"] })).toBe(6);
  });

  it("__isnull true and false", async () => {
    expect(names(await Member.query.filter({ role__isnull: true }))).toEqual(["Nobody", "Trainee"]);
    expect(names(await Member.query.filter({ role__isnull: false }))).toEqual([
      "Jennie",
      "Jisoo",
      "Lisa",
      "Moonbyul",
      "Solar",
      "Unicode",
    ]);
    expect(names(await Member.query.filter({ band__isnull: true, role__isnull: true }))).toEqual(["Nobody"]);
    expect(names(await Member.query.filter({ band__isnull: false, role__isnull: true }))).toEqual([
      "Trainee",
    ]);
    expect(await Member.query.count({ band__isnull: false })).toBe(7);
    expect(await Member.query.count({ band__isnull: true })).toBe(1);
  });

  it("__startswith, __endswith and __contains compare the whole value, case-sensitively", async () => {
    expect(names(await Member.query.filter({ band__startswith: "BLACK" }))).toEqual([
      "Jennie",
      "Jisoo",
      "Lisa",
    ]);
    expect(names(await Member.query.filter({ band__startswith: "B" }))).toEqual([
      "Jennie",
      "Jisoo",
      "Lisa",
      "Trainee",
    ]);
    expect(await Member.query.filter({ band__startswith: "black" })).toEqual([]);
    expect(names(await Member.query.filter({ band__startswith: "BLACKPINK" }))).toEqual([
      "Jennie",
      "Jisoo",
      "Lisa",
    ]);
    expect(await Member.query.filter({ band__startswith: "BLACKPINKS" })).toEqual([]);
    expect(names(await Member.query.filter({ band__endswith: "PINK" }))).toEqual(["Jennie", "Jisoo", "Lisa"]);
    expect(names(await Member.query.filter({ band__endswith: "oo" }))).toEqual(["Moonbyul", "Solar"]);
    expect(names(await Member.query.filter({ band__endswith: "Ü" }))).toEqual(["Unicode"]);
    expect(await Member.query.filter({ band__endswith: "pink" })).toEqual([]);
    expect(names(await Member.query.filter({ band__contains: "KPI" }))).toEqual(["Jennie", "Jisoo", "Lisa"]);
    expect(names(await Member.query.filter({ band__contains: "amam" }))).toEqual(["Moonbyul", "Solar"]);
    expect(names(await Member.query.filter({ band__contains: "é" }))).toEqual(["Unicode"]);
    expect(await Member.query.filter({ band__contains: "kpi" })).toEqual([]);
    expect(names(await Member.query.filter({ role__startswith: "s" }))).toEqual([
      "Jisoo",
      "Solar",
      "Unicode",
    ]);
    // a null value is not the text "None"
    expect(await Member.query.filter({ band__startswith: "No" })).toEqual([]);
    expect(await Member.query.filter({ role__contains: "one" })).toEqual([]);
  });

  it("counts match the results of every lookup", async () => {
    const filters = [
      { band: "BLACKPINK" },
      { band__in: ["BTS", "Mamamoo"] },
      { role__isnull: false },
      { band__startswith: "M" },
      { band__endswith: "S" },
      { band__contains: "A" },
      { role__startswith: "r" },
      { role__endswith: "er" },
      { role__contains: "nce" },
    ] as const;
    for (const where of filters) {
      const rows = await Member.query.filter(where as never);
      expect(await Member.query.count(where as never), JSON.stringify(where)).toBe(rows.length);
    }
  });

  it("several lookups intersect", async () => {
    expect(names(await Member.query.filter({ band__startswith: "BLACK", role: "singer" }))).toEqual([
      "Jisoo",
    ]);
    expect(names(await Member.query.filter({ band__in: ["BLACKPINK", "Mamamoo"], role: "rapper" }))).toEqual([
      "Lisa",
      "Moonbyul",
    ]);
    expect(names(await Member.query.filter({ band__endswith: "oo", role__startswith: "r" }))).toEqual([
      "Moonbyul",
    ]);
    expect(await Member.query.filter({ band: "BTS", role: "singer" })).toEqual([]);
    expect(names(await Member.query.filter({ role: "singer", age__gte: 20 }))).toEqual([
      "Jisoo",
      "Solar",
      "Unicode",
    ]);
    expect(names(await Member.query.filter({ band: "BLACKPINK" }).filter({ role__contains: "nc" }))).toEqual([
      "Jennie",
    ]);
    expect(await Member.query.count({ band__startswith: "BLACK", role__endswith: "er" })).toBe(3);
    expect(await Member.query.count({ band__startswith: "BLACK", role__endswith: "per" })).toBe(1);
  });

  it("no lookups, or only undefined ones, return every row", async () => {
    expect((await Member.query.filter({})).length).toBe(8);
    expect((await Member.query.filter({ band: undefined })).length).toBe(8);
    expect(await Member.query.count({})).toBe(8);
  });

  it("a string lookup finds a value that is itself escaped in the key", async () => {
    await Member.create({ band: "a-ha", role: "singer", name: "Morten" });
    expect(names(await Member.query.filter({ band__startswith: "a-" }))).toEqual(["Morten"]);
    expect(names(await Member.query.filter({ band__endswith: "-ha" }))).toEqual(["Morten"]);
    expect(names(await Member.query.filter({ band__contains: "-" }))).toEqual(["Morten"]);
  });
});

describe("typed key fields", () => {
  it("matches int and boolean key values", async () => {
    await Product.create({ sku: "a", qty: 1, active: true });
    await Product.create({ sku: "b", qty: 10, active: false });
    await Product.create({ sku: "c", qty: -1, active: true });
    const skus = (rows: { sku: string }[]): string[] => rows.map((r) => r.sku).sort();
    expect(skus(await Product.query.filter({ qty: 1 }))).toEqual(["a"]);
    expect(skus(await Product.query.filter({ qty: -1 }))).toEqual(["c"]);
    expect(skus(await Product.query.filter({ qty__in: [1, 10] }))).toEqual(["a", "b"]);
    expect(skus(await Product.query.filter({ active: true }))).toEqual(["a", "c"]);
    expect(skus(await Product.query.filter({ active: false, qty: 10 }))).toEqual(["b"]);
    expect(await Product.query.filter({ qty: 2 })).toEqual([]);
  });

  it("answers UniqueKeyField lookups from $UniqueKeyF sets", async () => {
    await Product.create({ sku: "apple-1", qty: 1, active: true });
    await Product.create({ sku: "apple-2", qty: 2, active: true });
    await Product.create({ sku: "pear", qty: 3, active: true });
    const skus = (rows: { sku: string }[]): string[] => rows.map((r) => r.sku).sort();
    expect(skus(await Product.query.filter({ sku: "pear" }))).toEqual(["pear"]);
    expect(skus(await Product.query.filter({ sku__in: ["pear", "apple-2"] }))).toEqual(["apple-2", "pear"]);
    expect(skus(await Product.query.filter({ sku__startswith: "apple" }))).toEqual(["apple-1", "apple-2"]);
    expect(skus(await Product.query.filter({ sku__endswith: "-2" }))).toEqual(["apple-2"]);
    expect(skus(await Product.query.filter({ sku__contains: "ea" }))).toEqual(["pear"]);
    expect(await Product.query.count({ sku__isnull: false })).toBe(3);
    expect((await Product.query.get({ sku: "pear" }))?.qty).toBe(3);
  });

  it("finds AutoKeyField rows by exact value and __in when it is the only key field", async () => {
    const t1 = await Token.create({ label: "one" });
    const t2 = await Token.create({ label: "two" });
    expect((await Token.query.filter({ id: t1.id })).map((t) => t.label)).toEqual(["one"]);
    expect((await Token.query.filter({ id__in: [t1.id, t2.id] })).map((t) => t.label).sort()).toEqual([
      "one",
      "two",
    ]);
    expect(await Token.query.filter({ id: "0".repeat(32) })).toEqual([]);
    expect((await Token.query.get({ id: t2.id }))?.label).toBe("two");
    expect(await Token.query.count({ id: t1.id })).toBe(1);
  });

  it("finds AutoKeyField rows by exact value and __in when the model has other key fields", async () => {
    const a = await Tagged.create({ tag: "x" });
    await Tagged.create({ tag: "x" });
    await Tagged.create({ tag: "y" });
    expect((await Tagged.query.filter({ id: a.id })).map((t) => t.redisKey)).toEqual([a.redisKey]);
    expect((await Tagged.query.filter({ id: a.id, tag: "y" })).length).toBe(0);
    expect((await Tagged.query.filter({ tag: "x" })).length).toBe(2);
    expect((await Tagged.query.filter({ id__in: [a.id, "nope"] })).map((t) => t.redisKey)).toEqual([
      a.redisKey,
    ]);
    expect(await Tagged.query.count({ id: a.id })).toBe(1);
  });

  it("finds a row by its hidden _auto_key", async () => {
    const n = await Note.create({ body: "hello" });
    expect((await Note.query.filter({ _auto_key: n._auto_key })).map((x) => x.body)).toEqual(["hello"]);
    expect((await Note.query.get({ _auto_key: n._auto_key }))?.body).toBe("hello");
  });
});

describe("rows written by Python Popoto (no popoto-only index)", () => {
  // What Popoto writes for Member(band="EXO", role="singer", name="Kai", age=30)
  beforeEach(async () => {
    const key = "Member:EXO:singer";
    await raw.hset(
      key,
      "band",
      Buffer.from(fixstr("EXO"), "hex"),
      "role",
      Buffer.from(fixstr("singer"), "hex"),
      "name",
      Buffer.from(fixstr("Kai"), "hex"),
      "age",
      Buffer.from("1e", "hex"),
    );
    await raw.sadd("$Class:Member", key);
    await raw.sadd("$KeyF:Member:band:EXO", key);
    await raw.sadd("$KeyF:Member:role:singer", key);
    await raw.zadd("$SortF:Member:age", 30, key);
  });

  it("exact, __in, __isnull and sorted lookups find them", async () => {
    expect(names(await Member.query.filter({ band: "EXO" }))).toEqual(["Kai"]);
    expect(names(await Member.query.filter({ band__in: ["EXO", "x"] }))).toEqual(["Kai"]);
    expect(names(await Member.query.filter({ band__isnull: false }))).toEqual(["Kai"]);
    expect(names(await Member.query.filter({ age__gt: 29 }))).toEqual(["Kai"]);
  });

  it("__startswith finds them", async () => {
    expect(names(await Member.query.filter({ band__startswith: "EX" }))).toEqual(["Kai"]);
  });

  it("__endswith finds them", async () => {
    expect(names(await Member.query.filter({ band__endswith: "XO" }))).toEqual(["Kai"]);
  });

  it("__contains finds them", async () => {
    expect(names(await Member.query.filter({ band__contains: "X" }))).toEqual(["Kai"]);
  });

  it("string lookups on a field without lex indexes find them", async () => {
    expect(names(await Member.query.filter({ role__startswith: "sin" }))).toEqual(["Kai"]);
    expect(names(await Member.query.filter({ role__endswith: "ger" }))).toEqual(["Kai"]);
    expect(await Member.query.count({ role__contains: "ing" })).toBe(1);
  });
});

describe("filters the model cannot answer", () => {
  it("an unknown field throws QueryError naming the model and field", async () => {
    const error = await caught(() => Member.query.filter({ colour: "red" } as never), QueryError);
    expect(error).toBeInstanceOf(PopotoError);
    expect(error.code).toBe("QUERY");
    expect(error.model).toBe("Member");
    expect(error.field).toBe("colour");
    expect(error.message).toContain("Member");
    expect(error.message).toContain("colour");
  });

  it("a plain (unindexed) field throws QueryError saying how to index it", async () => {
    const error = await caught(() => Member.query.filter({ name: "Lisa" } as never), QueryError);
    expect(error.field).toBe("name");
    expect(error.message).toContain("name");
    // Each way to make it filterable: IndexedField (outside the key), SortedField, KeyField.
    expect(error.message).toContain("IndexedField()");
    expect(error.message).toContain("SortedField()");
    expect(error.message).toContain("KeyField()");
    await caught(() => Member.query.count({ name: "Lisa" } as never), QueryError);
    await caught(() => Member.query.get({ name: "Lisa" } as never), QueryError);
  });

  it("an operator the field does not support throws QueryError", async () => {
    const bad: Record<string, unknown>[] = [
      { band__gt: "A" },
      { band__between: ["A", "B"] },
      { qty__startswith: "1" },
      { band__like: "x" },
      { band__in__in: ["x"] },
      { age__startswith: "1" },
      { age__isnull: true },
    ];
    for (const where of bad) {
      const Target = "qty__startswith" in where ? Product : Member;
      const error = await caught(() => untyped(Target).filter(where), QueryError);
      expect(error.code, JSON.stringify(where)).toBe("QUERY");
    }
  });

  it("a wrongly typed lookup value throws QueryError", async () => {
    await Member.create({ band: "B", role: "r", name: "n" });
    const cases: [typeof Member | typeof Product, Record<string, unknown>][] = [
      [Member, { band__isnull: "yes" }],
      [Member, { band__in: "BLACKPINK" }],
      [Member, { band__startswith: 5 }],
      [Product, { qty: "many" }],
      [Product, { qty: 1.5 }],
    ];
    for (const [Target, where] of cases) {
      const error = await caught(async () => await untyped(Target).filter(where), QueryError);
      expect(error.code, JSON.stringify(where)).toBe("QUERY");
    }
  });
});
