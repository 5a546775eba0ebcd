/**
 * ValidationError lists each bad field (expected vs received) and is thrown before any write.
 */
import { describe, expect, it } from "vitest";
import {
  BooleanField,
  BytesField,
  DateField,
  DatetimeField,
  DecimalField,
  DictField,
  Field,
  FloatField,
  IntField,
  KeyField,
  ListField,
  Model,
  PopotoError,
  SetField,
  SortedField,
  TimeField,
  TupleField,
  ValidationError,
  isPopotoError,
} from "../../src/index.js";
import { caught, dump } from "../support/inspect.js";
import { allKeys, hexOf, raw, useRedis } from "../support/redis.js";

useRedis();

class Book extends Model("Book", {
  title: KeyField({ maxLength: 10 }),
  pages: SortedField({ type: "int" }),
  genre: Field({ null: true, maxLength: 5 }),
}) {}

class Typed extends Model("Typed", {
  id: KeyField(),
  s: Field(),
  i: IntField(),
  f: FloatField(),
  b: BooleanField(),
  by: BytesField(),
  l: ListField(),
  d: DictField(),
  st: SetField(),
  tp: TupleField(),
  dec: DecimalField(),
  dt: DatetimeField(),
  da: DateField(),
  tm: TimeField(),
}) {}

class Defaults extends Model("Defaults", {
  id: KeyField(),
  tags: ListField({ default: () => ["new"] }),
  meta: DictField({ default: { n: 1 } }),
  count: IntField({ default: 3 }),
  stamp: DatetimeField({ autoNowAdd: true }),
  touched: DatetimeField({ autoNow: true }),
}) {}

const good = {
  id: "ok",
  s: "s",
  i: 1,
  f: 1.5,
  b: true,
  by: new Uint8Array([1]),
  l: [1],
  d: { a: 1 },
  st: new Set([1]),
  tp: [1],
  dec: "1.5",
  dt: new Date("2020-01-01T00:00:00Z"),
  da: new Date("2020-01-01T00:00:00Z"),
  tm: "01:02:03",
};

describe("ValidationError", () => {
  it("lists every bad field with what was expected and what was received, writing nothing", async () => {
    const error = await caught(
      () =>
        Book.create({ title: "far too long a title", pages: "many" as unknown as number, genre: 5 as never }),
      ValidationError,
    );
    expect(error).toBeInstanceOf(PopotoError);
    expect(error.code).toBe("VALIDATION");
    expect(isPopotoError(error, "VALIDATION")).toBe(true);
    expect(error.model).toBe("Book");
    expect(error.issues.map((i) => i.field).sort()).toEqual(["genre", "pages", "title"]);
    const pages = error.issues.find((i) => i.field === "pages")!;
    expect(pages.expected).toContain("int");
    expect(pages.received).toContain("many");
    const title = error.issues.find((i) => i.field === "title")!;
    expect(title.expected).toContain("10");
    for (const field of ["title", "pages", "genre"]) expect(error.message).toContain(field);
    expect(error.message).toContain("Book");
    expect(await allKeys()).toEqual([]);
  });

  it("reports a missing required field and a null in a non-nullable field", async () => {
    const missing = await caught(() => Book.create({ title: "t" } as never), ValidationError);
    expect(missing.issues.map((i) => i.field)).toEqual(["pages"]);
    // the constructor fills a field left out with null, so both spellings describe it
    expect(["undefined", "null"]).toContain(missing.issues[0]?.received);
    expect(missing.message).toContain("pages");
    const nulled = await caught(() => Book.create({ title: "t", pages: null as never }), ValidationError);
    expect(nulled.issues.map((i) => i.field)).toEqual(["pages"]);
    expect(nulled.issues[0]?.received).toBe("null");
    expect(await allKeys()).toEqual([]);
  });

  it("rejects a wrong value for every field type", async () => {
    const bad: Record<string, unknown> = {
      s: 5,
      i: 1.5,
      f: "1.5",
      b: "true",
      by: [1, 2],
      l: "list",
      d: [1],
      st: 7,
      tp: "t",
      dec: "1.2.3",
      dt: "yesterday",
      da: new Date("2020-01-01T10:00:00Z"),
      tm: "25:00",
    };
    const error = await caught(() => Typed.create({ ...good, ...bad } as never), ValidationError);
    expect(error.issues.map((i) => i.field).sort()).toEqual(Object.keys(bad).sort());
    for (const issue of error.issues) {
      expect(issue.expected, issue.field).not.toBe("");
      expect(issue.received, issue.field).not.toBe("");
    }
    expect(await allKeys()).toEqual([]);
  });

  it("rejects unsafe integers and non-finite floats", async () => {
    for (const patch of [
      { i: 2 ** 53 },
      { i: Number.NaN },
      { f: Number.POSITIVE_INFINITY },
      { f: Number.NaN },
    ]) {
      const error = await caught(() => Typed.create({ ...good, ...patch } as never), ValidationError);
      expect(error.issues.map((i) => i.field)).toEqual(Object.keys(patch));
    }
    expect(await allKeys()).toEqual([]);
  });

  it("accepts every good value", async () => {
    await Typed.create(good);
    expect(await raw.exists("Typed:ok")).toBe(1);
  });

  it("an invalid save of a stored instance leaves the stored row as it was", async () => {
    const b = await Book.create({ title: "t", pages: 1, genre: "sf" });
    const before = await dump();
    b.pages = "x" as unknown as number;
    b.genre = "much too long";
    const error = await caught(() => b.save(), ValidationError);
    expect(error.issues.map((i) => i.field).sort()).toEqual(["genre", "pages"]);
    expect(await dump()).toEqual(before);
    const invalidKey = await caught(() => {
      b.title = "a title longer than ten";
      b.pages = 2;
      b.genre = null;
      return b.save();
    }, ValidationError);
    expect(invalidKey.issues.map((i) => i.field)).toEqual(["title"]);
    expect(await dump()).toEqual(before);
  });

  it("an unknown field given to create() or the constructor is an error, not silently dropped", async () => {
    const error = await caught(
      () => Book.create({ title: "t", pages: 1, colour: "red" } as never),
      ValidationError,
    );
    expect(error.issues.map((i) => i.field)).toEqual(["colour"]);
    await caught(() => new Book({ title: "t", pages: 1, colour: "red" } as never), ValidationError);
    expect(await allKeys()).toEqual([]);
  });

  it("an instance can be constructed empty; validation runs at save", async () => {
    const empty = new Book();
    expect(empty.title).toBeNull();
    const error = await caught(() => empty.save(), ValidationError);
    expect(error.issues.map((i) => i.field).sort()).toEqual(["pages", "title"]);
    empty.title = "t";
    empty.pages = 3;
    await empty.save();
    expect(await hexOf("Book:t", "pages")).toBe("03");
  });
});

describe("defaults", () => {
  it("calls a function default per instance and copies a literal one", async () => {
    const a = await Defaults.create({ id: "a" });
    const b = await Defaults.create({ id: "b" });
    expect(a.tags).toEqual(["new"]);
    expect(a.tags).not.toBe(b.tags);
    expect(a.meta).toEqual({ n: 1 });
    expect(a.meta).not.toBe(b.meta);
    a.meta["n"] = 2;
    expect(b.meta).toEqual({ n: 1 });
    expect(a.count).toBe(3);
    expect((await Defaults.load({ id: "b" }))?.meta).toEqual({ n: 1 });
  });

  it("stamps autoNowAdd once and autoNow on every save", async () => {
    const before = Date.now();
    const a = await Defaults.create({ id: "a" });
    expect(a.stamp.getTime()).toBeGreaterThanOrEqual(before);
    expect(a.touched.getTime()).toBeGreaterThanOrEqual(before);
    const firstStamp = a.stamp.getTime();
    const firstTouch = a.touched.getTime();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await a.save();
    expect(a.stamp.getTime()).toBe(firstStamp);
    expect(a.touched.getTime()).toBeGreaterThan(firstTouch);
    const stored = await Defaults.load({ id: "a" });
    expect(stored?.stamp.getTime()).toBe(firstStamp);
    expect(stored?.touched.getTime()).toBe(a.touched.getTime());
  });
});
