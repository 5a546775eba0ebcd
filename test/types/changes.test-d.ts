/**
 * `Model.changes`: events carry the model's field names and value types (a relationship as its
 * target's key); consume() needs a group and a consumer; the `changes` option's shape.
 */
import { describe, expectTypeOf, test } from "vitest";
import {
  Field,
  IntField,
  KeyField,
  Model,
  Relationship,
  type ChangeEvent,
  type ChangeOp,
} from "../../src/index.js";

class Author extends Model("ChangesAuthor", { name: KeyField() }) {}
class Book extends Model(
  "ChangesBook",
  {
    title: KeyField(),
    pages: IntField(),
    note: Field({ null: true }),
    author: Relationship(Author, { null: true }),
  },
  { changes: { maxLen: 1000 } },
) {}

describe("change events", () => {
  test("read() gives typed events: field names and values of the model", async () => {
    const [event] = await Book.changes.read({ after: "0-0", count: 10 });
    if (event === undefined) return;
    expectTypeOf(event.op).toEqualTypeOf<ChangeOp>();
    expectTypeOf(event.key).toEqualTypeOf<string>();
    expectTypeOf(event.at).toEqualTypeOf<Date>();
    expectTypeOf(event.fields).toEqualTypeOf<readonly ("title" | "pages" | "note" | "author")[]>();
    expectTypeOf(event.values.pages).toEqualTypeOf<number | undefined>();
    expectTypeOf(event.values.note).toEqualTypeOf<string | null | undefined>();
    // A relationship's value in an event is its target's key, as `values()` gives it.
    expectTypeOf(event.values.author).toEqualTypeOf<string | null | undefined>();
    // @ts-expect-error: not a field of ChangesBook
    void event.values.isbn;
    // @ts-expect-error: events are read-only
    event.op = "delete";
  });

  test("consume() yields acknowledgeable events and needs a group and a consumer", async () => {
    const controller = new AbortController();
    for await (const change of Book.changes.consume({
      group: "search",
      consumer: "w1",
      signal: controller.signal,
    })) {
      expectTypeOf(change.ack).toEqualTypeOf<() => Promise<void>>();
      expectTypeOf(change).toMatchTypeOf<ChangeEvent<Record<string, unknown>>>();
      expectTypeOf(change.values.title).toEqualTypeOf<string | undefined>();
    }
    // @ts-expect-error: a consumer group needs its consumer's name
    Book.changes.consume({ group: "search" });
    // @ts-expect-error: count is a number
    Book.changes.consume({ group: "search", consumer: "w1", count: "10" });
  });

  test("Model.changes exists only on a model declared with changes", () => {
    class NoFeed extends Model("ChangesNone", { k: KeyField() }) {}
    class Off extends Model("ChangesOff", { k: KeyField() }, { changes: false, ttl: 5 }) {}
    class Bounded extends Model("ChangesBounded", { k: KeyField() }, { changes: { maxLen: 5 }, shards: 4 }) {}
    // @ts-expect-error: ChangesNone has no change feed (declare it with { changes: true })
    void NoFeed.changes;
    // @ts-expect-error: changes: false declares none
    void Off.changes;
    expectTypeOf(Bounded.changes.keys).toEqualTypeOf<string[]>();
    expectTypeOf(Bounded.query.filter({ k: "x" })).not.toBeAny();
    const flag: boolean = Math.random() > 0.5;
    // A flag known only at run time: typed, and checked when read.
    expectTypeOf(Model("ChangesMaybe", { k: KeyField() }, { changes: flag }).changes.read).toBeFunction();
  });

  test("the changes option is true, false or { maxLen }", () => {
    Model("ChangesA", { k: KeyField() }, { changes: true });
    Model("ChangesB", { k: KeyField() }, { changes: { maxLen: 5 } });
    // @ts-expect-error: maxLen is a number
    Model("ChangesC", { k: KeyField() }, { changes: { maxLen: "5" } });
  });
});
