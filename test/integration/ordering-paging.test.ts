/**
 * orderBy ("-pages"), limit, offset, values(...), first(), and the model's default orderBy.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  DatetimeField,
  Field,
  FloatField,
  KeyField,
  Model,
  QueryError,
  SortedField,
} from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { useRedis } from "../support/redis.js";

useRedis();

class Book extends Model("Book", {
  title: KeyField(),
  pages: SortedField({ type: "int" }),
  rating: FloatField({ null: true }),
  genre: KeyField({ null: true }),
}) {}

class Numbered extends Model("Numbered", { n: KeyField({ type: "int" }), label: Field() }) {}

class Post extends Model(
  "Post",
  { slug: KeyField(), created: DatetimeField(), views: SortedField({ type: "int" }) },
  { orderBy: "-created" },
) {}

class Ranked extends Model(
  "Ranked",
  { name: KeyField(), score: SortedField({ type: "int" }) },
  { orderBy: ["score", "name"] },
) {}

class Quote extends Model("Quote", {
  id: KeyField(),
  market: KeyField(),
  price: SortedField({ type: "int", partitionBy: "market" }),
}) {}

const titles = (rows: { title: string }[]): string[] => rows.map((r) => r.title);

describe("orderBy", () => {
  beforeEach(async () => {
    await Book.create({ title: "c-mid", pages: 300, rating: 4.1, genre: "sf" });
    await Book.create({ title: "a-long", pages: 1200, rating: null, genre: "fantasy" });
    await Book.create({ title: "d-short", pages: 90, rating: 3.2, genre: null });
    await Book.create({ title: "b-mid", pages: 310, rating: 4.8, genre: "fantasy" });
    await Book.create({ title: "e-tiny", pages: 12, rating: 1.0, genre: "sf" });
  });

  it("orders by a sorted field, ascending and descending", async () => {
    expect(titles(await Book.query.orderBy("pages"))).toEqual([
      "e-tiny",
      "d-short",
      "c-mid",
      "b-mid",
      "a-long",
    ]);
    expect(titles(await Book.query.orderBy("-pages"))).toEqual([
      "a-long",
      "b-mid",
      "c-mid",
      "d-short",
      "e-tiny",
    ]);
    expect(titles(await Book.query.filter({ pages__gte: 100 }).orderBy("-pages"))).toEqual([
      "a-long",
      "b-mid",
      "c-mid",
    ]);
    expect(titles(await Book.query.filter({ genre: "sf" }).orderBy("-pages"))).toEqual(["c-mid", "e-tiny"]);
  });

  it("orders by a key field", async () => {
    expect(titles(await Book.query.orderBy("title"))).toEqual([
      "a-long",
      "b-mid",
      "c-mid",
      "d-short",
      "e-tiny",
    ]);
    expect(titles(await Book.query.orderBy("-title"))).toEqual([
      "e-tiny",
      "d-short",
      "c-mid",
      "b-mid",
      "a-long",
    ]);
  });

  it("orders by a plain field with nulls first ascending and last descending", async () => {
    expect(titles(await Book.query.orderBy("rating"))).toEqual([
      "a-long",
      "e-tiny",
      "d-short",
      "c-mid",
      "b-mid",
    ]);
    expect(titles(await Book.query.orderBy("-rating"))).toEqual([
      "b-mid",
      "c-mid",
      "d-short",
      "e-tiny",
      "a-long",
    ]);
  });

  it("orders by several fields", async () => {
    expect(titles(await Book.query.orderBy("genre", "-pages"))).toEqual([
      "d-short",
      "a-long",
      "b-mid",
      "c-mid",
      "e-tiny",
    ]);
  });

  it("orders int key fields as numbers, not as text", async () => {
    for (const n of [10, 9, 100, -1, 2]) await Numbered.create({ n, label: `n${n}` });
    expect((await Numbered.query.orderBy("n")).map((r) => r.n)).toEqual([-1, 2, 9, 10, 100]);
    expect((await Numbered.query.orderBy("-n").limit(2)).map((r) => r.n)).toEqual([100, 10]);
    expect((await Numbered.query.orderBy("n").values("n")).map((r) => r.n)).toEqual([-1, 2, 9, 10, 100]);
  });

  it("throws QueryError for an order on a field the model does not have", async () => {
    const error = await caught(async () => await Book.query.orderBy("colour" as never), QueryError);
    expect(error.message).toContain("colour");
    expect(error.code).toBe("QUERY");
  });
});

describe("limit and offset", () => {
  beforeEach(async () => {
    for (let i = 1; i <= 9; i++)
      await Book.create({ title: `t${i}`, pages: i * 10, genre: i % 2 ? "odd" : "even" });
  });

  it("pages ordered results", async () => {
    expect(titles(await Book.query.orderBy("pages").limit(3))).toEqual(["t1", "t2", "t3"]);
    expect(titles(await Book.query.orderBy("pages").offset(3).limit(3))).toEqual(["t4", "t5", "t6"]);
    expect(titles(await Book.query.orderBy("pages").offset(7))).toEqual(["t8", "t9"]);
    expect(titles(await Book.query.orderBy("-pages").offset(8).limit(5))).toEqual(["t1"]);
    expect(await Book.query.orderBy("pages").offset(9)).toEqual([]);
    expect(await Book.query.orderBy("pages").limit(0)).toEqual([]);
  });

  it("applies limit after ordering and filtering", async () => {
    expect(titles(await Book.query.filter({ genre: "odd" }).orderBy("-pages").limit(2))).toEqual([
      "t9",
      "t7",
    ]);
    expect(titles(await Book.query.filter({ pages__gt: 20 }).orderBy("-title").limit(1))).toEqual(["t9"]);
    expect(
      titles(await Book.query.filter({ pages__gt: 20, genre: "even" }).orderBy("pages").offset(1)),
    ).toEqual(["t6", "t8"]);
  });

  it("pages unordered results without repeating or skipping rows", async () => {
    const seen: string[] = [];
    for (let offset = 0; offset < 9; offset += 4) {
      const page = await Book.query.offset(offset).limit(4);
      expect(page.length).toBe(Math.min(4, 9 - offset));
      seen.push(...titles(page));
    }
    expect(seen.sort()).toEqual(["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"]);
  });

  it("count ignores limit and offset", async () => {
    expect(await Book.query.count()).toBe(9);
    expect(await Book.query.filter({ genre: "odd" }).limit(1).count()).toBe(5);
  });

  it("first() is the first row of the order, or null", async () => {
    expect((await Book.query.orderBy("-pages").first())?.title).toBe("t9");
    expect(await Book.query.filter({ pages__gt: 1000 }).first()).toBeNull();
  });

  it("rejects a negative or fractional limit or offset", async () => {
    await caught(() => Book.query.limit(-1), QueryError);
    await caught(() => Book.query.offset(1.5), QueryError);
  });
});

describe("values", () => {
  beforeEach(async () => {
    await Book.create({ title: "a", pages: 1, rating: 2.5, genre: "x" });
    await Book.create({ title: "b", pages: 2, rating: null, genre: null });
  });

  it("returns plain records with exactly the fields asked for, in that order", async () => {
    const rows = await Book.query.orderBy("pages").values("rating", "title");
    expect(rows).toEqual([
      { rating: 2.5, title: "a" },
      { rating: null, title: "b" },
    ]);
    for (const row of rows) expect(Object.keys(row)).toEqual(["rating", "title"]);
    expect(rows[0]).not.toBeInstanceOf(Book);
  });

  it("builds records from keys alone when every field asked for is a key field", async () => {
    const rows = await Book.query.orderBy("title").values("title");
    expect(rows).toEqual([{ title: "a" }, { title: "b" }]);
  });

  it("can order by a field it does not return", async () => {
    const rows = await Book.query.orderBy("-pages").values("title");
    expect(rows).toEqual([{ title: "b" }, { title: "a" }]);
    const byRating = await Book.query.orderBy("rating").values("title");
    expect(byRating).toEqual([{ title: "b" }, { title: "a" }]);
  });

  it("combines with filters, limit and offset", async () => {
    expect(await Book.query.filter({ pages__gte: 1 }).orderBy("pages").values("pages").offset(1)).toEqual([
      { pages: 2 },
    ]);
    expect(await Book.query.filter({ genre__isnull: false }).values("genre", "pages")).toEqual([
      { genre: "x", pages: 1 },
    ]);
    expect(await Book.query.orderBy("-pages").values("title").limit(1)).toEqual([{ title: "b" }]);
    expect(await Book.query.orderBy("pages").values("title").first()).toEqual({ title: "a" });
  });

  it("throws QueryError for a field the model does not have", async () => {
    await caught(() => Book.query.values("colour" as never), QueryError);
  });
});

describe("default orderBy", () => {
  it("orders results by the model's orderBy unless the query gives one", async () => {
    await Post.create({ slug: "old", created: new Date("2020-01-01T00:00:00Z"), views: 5 });
    await Post.create({ slug: "new", created: new Date("2024-01-01T00:00:00Z"), views: 1 });
    await Post.create({ slug: "mid", created: new Date("2022-01-01T00:00:00Z"), views: 9 });
    expect((await Post.query.all()).map((p) => p.slug)).toEqual(["new", "mid", "old"]);
    expect((await Post.query.filter({ slug__in: ["old", "mid"] })).map((p) => p.slug)).toEqual([
      "mid",
      "old",
    ]);
    expect((await Post.query.limit(1)).map((p) => p.slug)).toEqual(["new"]);
    expect((await Post.query.orderBy("views")).map((p) => p.slug)).toEqual(["new", "old", "mid"]);
    expect(await Post.query.values("slug")).toEqual([{ slug: "new" }, { slug: "mid" }, { slug: "old" }]);
  });

  it("applies several default order terms in turn", async () => {
    await Ranked.create({ name: "b", score: 1 });
    await Ranked.create({ name: "a", score: 1 });
    await Ranked.create({ name: "c", score: 0 });
    expect((await Ranked.query).map((r) => r.name)).toEqual(["c", "a", "b"]);
  });
});

describe("ordering by a partitioned sorted field", () => {
  it("orders within the partition the filter names", async () => {
    await Quote.create({ id: "a", market: "m1", price: 3 });
    await Quote.create({ id: "b", market: "m1", price: 1 });
    await Quote.create({ id: "c", market: "m2", price: 2 });
    await Quote.create({ id: "d", market: "m1", price: 2 });
    expect((await Quote.query.filter({ market: "m1" }).orderBy("price")).map((q) => q.id)).toEqual([
      "b",
      "d",
      "a",
    ]);
    expect((await Quote.query.filter({ market: "m1" }).orderBy("-price").limit(2)).map((q) => q.id)).toEqual([
      "a",
      "d",
    ]);
    // across partitions the values are ordered after reading them
    expect((await Quote.query.orderBy("price")).map((q) => q.price)).toEqual([1, 2, 2, 3]);
  });
});
