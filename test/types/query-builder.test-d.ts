import { describe, expectTypeOf, test } from "vitest";
import {
  DecimalField,
  Field,
  GeoField,
  IndexedField,
  IntField,
  KeyField,
  Model,
  Relationship,
  SortedField,
  UniqueField,
  not,
  or,
  type ModelEvent,
} from "../../src/index.js";

class QbAuthor extends Model("QbAuthor", { name: KeyField(), country: IndexedField({ null: true }) }) {}
class QbBook extends Model("QbBook", {
  title: KeyField(),
  author: Relationship(QbAuthor),
  pages: SortedField({ type: "int" }),
  genre: Field({ null: true }),
  sold: IntField({ default: 0 }),
  price: DecimalField({ default: "0" }),
  isbn: UniqueField(),
}) {}
class QbPlace extends Model("QbPlace", { name: KeyField(), location: GeoField() }) {}

describe("or / not / exclude", () => {
  test("combinations of valid filters are accepted", () => {
    QbBook.query.filter(or({ pages: 1 }, { pages__gte: 2 })).filter(not({ title__startswith: "x" }));
    QbBook.query.exclude({ author__name: "Tolkien" });
    QbBook.query.filter(or(not({ pages: 1 }), { author__country__in: ["UK", null] }));
  });

  test("a wrong key or value inside or() is a compile error", () => {
    // @ts-expect-error pages takes a number
    QbBook.query.filter(or({ pages: "1" }, { pages: 2 }));
    // @ts-expect-error genre is a plain field
    QbBook.query.filter(or({ genre: "x" }, { pages: 2 }));
    // @ts-expect-error unknown traversal
    QbBook.query.exclude(not({ author__nmae: "x" }));
  });
});

describe("nested object form", () => {
  test("is typed at every level", () => {
    QbBook.query.filter({
      author: { name: "Tolkien", country: { in: ["UK"] } },
      pages: { gte: 300, lt: 500 },
    });
    // @ts-expect-error gte takes a number
    QbBook.query.filter({ pages: { gte: "300" } });
    // @ts-expect-error title has no gt
    QbBook.query.filter({ title: { gt: "a" } });
    // @ts-expect-error the author has no field nme
    QbBook.query.filter({ author: { nme: "x" } });
  });
});

describe("values, include, nearest", () => {
  test("values() resolves to records of exactly those fields", async () => {
    const rows = await QbBook.query.values("title", "pages");
    expectTypeOf(rows).toEqualTypeOf<{ title: string; pages: number }[]>();
    // @ts-expect-error not a field
    QbBook.query.values("nope");
  });

  test("include() takes relationship paths only", () => {
    QbBook.query.include("author");
    // @ts-expect-error pages is not a relationship
    QbBook.query.include("pages");
  });

  test("geo within takes a point and radius, or a member", async () => {
    const near = await QbPlace.query
      .filter({ location__within: { latitude: 1, longitude: 2, radius: 5, unit: "km" } })
      .nearest();
    expectTypeOf(near[0]!.distance).toEqualTypeOf<number>();
    // @ts-expect-error unit must be m, km, ft or mi
    QbPlace.query.filter({ location__within: { latitude: 1, longitude: 2, radius: 5, unit: "yards" } });
    // @ts-expect-error a location is not filtered by equality
    QbPlace.query.filter({ location: { latitude: 1, longitude: 2 } });
  });
});

describe("model API", () => {
  test("getOrCreate and updateOrCreate resolve to [instance, created]", async () => {
    const [author, created] = await QbAuthor.getOrCreate({ name: "Le Guin" }, { country: "US" });
    expectTypeOf(author).toEqualTypeOf<QbAuthor>();
    expectTypeOf(created).toEqualTypeOf<boolean>();
    // @ts-expect-error unknown field
    void QbAuthor.updateOrCreate({ name: "x" }, { nope: 1 });
  });

  test("save({ fields }) and atomicIncrement name real (numeric) fields", async () => {
    const book = new QbBook({ title: "x", pages: 1, isbn: "1" });
    await book.save({ fields: ["pages"] });
    // @ts-expect-error not a field
    await book.save({ fields: ["nope"] });
    expectTypeOf(await book.atomicIncrement("sold", 1)).toEqualTypeOf<number>();
    expectTypeOf(await book.atomicIncrement("price", "1.10")).toEqualTypeOf<string>();
    // @ts-expect-error title is not numeric
    await book.atomicIncrement("title", 1);
    // @ts-expect-error an int field takes a number delta
    await book.atomicIncrement("sold", "1");
  });

  test("bulk operations and events are typed", async () => {
    const books = await QbBook.bulkCreate([{ title: "a", pages: 1, isbn: "a" }], { batchSize: 10 });
    expectTypeOf(books).toEqualTypeOf<QbBook[]>();
    // @ts-expect-error pages is required
    await QbBook.bulkCreate([{ title: "a", isbn: "a" }]);
    expectTypeOf(await QbBook.deleteAll()).toEqualTypeOf<number>();
    QbBook.subscribe((event) => {
      expectTypeOf(event).toEqualTypeOf<ModelEvent>();
    });
  });
});
