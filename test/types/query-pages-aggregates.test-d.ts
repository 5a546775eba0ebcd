/**
 * Types of page(), the aggregates (sum, avg, min, max, countBy) and update(): which field names
 * each takes (only sorted fields for min/max, only numeric sorted ones for sum/avg, only key and
 * indexed fields for countBy, no key field in update) and what each resolves to.
 */
import { describe, expectTypeOf, test } from "vitest";
import { Field, IndexedField, KeyField, Model, SortedField, SortedKeyField } from "../../src/index.js";
import type { ModelInstance, Page } from "../../src/index.js";

class Book extends Model("TypesPageBook", {
  title: KeyField(),
  genre: IndexedField({ null: true }),
  pages: SortedField({ type: "int" }),
  price: SortedField({ type: "decimal" }),
  published: SortedField({ type: "date" }),
  rank: SortedKeyField({ type: "float" }),
  note: Field({ null: true }),
}) {}

type BookInstance = ModelInstance<NonNullable<(typeof Book)["~fields"]>, "TypesPageBook">;

describe("page()", () => {
  test("resolves to items and a next cursor", () => {
    expectTypeOf(Book.query.orderBy("-pages").limit(20).page()).resolves.toEqualTypeOf<Page<BookInstance>>();
    expectTypeOf<Page<BookInstance>["next"]>().toEqualTypeOf<string | null>();
    void Book.query.limit(5).page(null);
    void Book.query.limit(5).page("abc.def");
    // @ts-expect-error a cursor is a string
    void Book.query.limit(5).page(3);
  });
});

describe("aggregates", () => {
  test("sum and avg take numeric sorted fields only", () => {
    expectTypeOf(Book.query.sum("pages")).resolves.toEqualTypeOf<number>();
    expectTypeOf(Book.query.avg("price")).resolves.toEqualTypeOf<number | null>();
    void Book.query.sum("rank");
    // @ts-expect-error a date sorted field has no sum
    void Book.query.sum("published");
    // @ts-expect-error an indexed field is not sorted
    void Book.query.avg("genre");
    // @ts-expect-error no such field
    void Book.query.sum("pagez");
  });

  test("min and max take any sorted field and resolve to its value", () => {
    expectTypeOf(Book.query.min("pages")).resolves.toEqualTypeOf<number | null>();
    expectTypeOf(Book.query.max("published")).resolves.toEqualTypeOf<Date | null>();
    expectTypeOf(Book.query.max("price")).resolves.toEqualTypeOf<string | null>();
    // @ts-expect-error a plain field is not sorted
    void Book.query.min("note");
    // @ts-expect-error a key field is not sorted
    void Book.query.max("title");
  });

  test("countBy takes key and indexed fields and maps values to counts", () => {
    expectTypeOf(Book.query.countBy("genre")).resolves.toEqualTypeOf<Map<string | null, number>>();
    expectTypeOf(Book.query.countBy("title")).resolves.toEqualTypeOf<Map<string, number>>();
    // @ts-expect-error a plain field has no index to count by
    void Book.query.countBy("note");
  });
});

describe("update()", () => {
  test("takes any non-key field, typed as create() takes it, and resolves to a count", () => {
    expectTypeOf(
      Book.query.filter({ genre: "sf" }).update({ genre: "scifi", pages: 3 }),
    ).resolves.toEqualTypeOf<number>();
    void Book.query.update({ note: null, published: new Date() }, { batchSize: 100 });
    // @ts-expect-error a key field cannot be updated by query
    void Book.query.update({ title: "Dune" });
    // @ts-expect-error the value must fit the field
    void Book.query.update({ pages: "many" });
    // @ts-expect-error no such field
    void Book.query.update({ pagez: 3 });
  });
});
