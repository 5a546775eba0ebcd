/**
 * `create()`, the constructor and `load()`: which fields are required, what each accepts, the
 * hidden `_auto_key`, and results typed as the user's subclass.
 */
import { describe, expectTypeOf, test } from "vitest";
import {
  AutoKeyField,
  DatetimeField,
  Field,
  IntField,
  KeyField,
  Model,
  SortedField,
  SortedKeyField,
  UniqueKeyField,
} from "../../src/index.js";
import type { CreateInput, KeyLookup } from "../../src/index.js";

class Book extends Model("CreateBook", {
  title: KeyField(),
  pages: SortedField({ type: "int" }),
  genre: Field({ null: true }),
  copies: IntField({ default: 1 }),
  added: DatetimeField({ autoNowAdd: true }),
  touched: DatetimeField({ autoNow: true }),
}) {
  get label(): string {
    return `${this.title} (${this.pages} pages)`;
  }
}

class Note extends Model("CreateNote", { body: Field(), stars: IntField({ null: true }) }) {}

class Ticket extends Model("CreateTicket", {
  id: AutoKeyField({ length: 8 }),
  event: KeyField({ type: "int" }),
  seat: SortedKeyField({ type: "int" }),
  email: UniqueKeyField(),
  region: KeyField({ null: true }),
}) {}

type FieldsOf<TModel extends { readonly "~fields"?: unknown }> = NonNullable<TModel["~fields"]>;

describe("create() input", () => {
  test("required fields are the ones that are not nullable, defaulted, generated or stamped", () => {
    expectTypeOf<CreateInput<FieldsOf<typeof Book>>>().toEqualTypeOf<{
      title: string;
      pages: number;
      genre?: string | null | undefined;
      copies?: number | undefined;
      added?: Date | undefined;
      touched?: Date | undefined;
    }>();
    expectTypeOf<CreateInput<FieldsOf<typeof Ticket>>>().toEqualTypeOf<{
      event: number;
      seat: number;
      email: string;
      id?: string | undefined;
      region?: string | null | undefined;
    }>();
  });

  test("only the required fields must be given", async () => {
    await Book.create({ title: "The Hobbit", pages: 310 });
    await Book.create({ title: "LOTR", pages: 1178, genre: null, copies: 2, added: new Date() });
    await Book.create({ title: "Dune", pages: 412, genre: undefined });
    await Ticket.create({ event: 1, seat: 12, email: "ann@example.com" });
    await Ticket.create({ id: "0a1b2c3d", event: 1, seat: 13, email: "bo@example.com", region: null });
  });

  test("a missing required field is an error", async () => {
    // @ts-expect-error pages is required
    await Book.create({ title: "The Hobbit" });
    // @ts-expect-error the unique key email is required
    await Ticket.create({ event: 1, seat: 12 });
    // @ts-expect-error a sorted key is required
    await Ticket.create({ event: 1, email: "ann@example.com" });
    // @ts-expect-error create() takes the values object
    await Book.create();
  });

  test("a value of the wrong type is an error", async () => {
    // @ts-expect-error pages is an int
    await Book.create({ title: "The Hobbit", pages: "310" });
    // @ts-expect-error title is not nullable
    await Book.create({ title: null, pages: 310 });
    // @ts-expect-error added is a Date
    await Book.create({ title: "The Hobbit", pages: 310, added: "2020-01-02" });
    // @ts-expect-error an auto key is a string
    await Ticket.create({ id: 7, event: 1, seat: 12, email: "ann@example.com" });
  });

  test("an unknown field is an error", async () => {
    // @ts-expect-error Book has no field author
    await Book.create({ title: "The Hobbit", pages: 310, author: "Tolkien" });
    // @ts-expect-error a model with key fields has no hidden _auto_key
    await Book.create({ title: "The Hobbit", pages: 310, _auto_key: "x" });
  });

  test("the constructor takes any subset of the fields, checked the same way", () => {
    expectTypeOf(new Book()).toEqualTypeOf<Book>();
    expectTypeOf(new Book({ title: "The Hobbit" })).toEqualTypeOf<Book>();
    // @ts-expect-error pages is an int
    new Book({ pages: "310" });
    // @ts-expect-error Book has no field author
    new Book({ author: "Tolkien" });
  });
});

describe("hidden _auto_key", () => {
  test("a model without key fields gets _auto_key: string, optional on input", async () => {
    const note = new Note({ body: "hi" });
    expectTypeOf(note._auto_key).toEqualTypeOf<string>();
    expectTypeOf<CreateInput<FieldsOf<typeof Note>>>().toEqualTypeOf<{
      body: string;
      stars?: number | null | undefined;
      _auto_key?: string | undefined;
    }>();
    await Note.create({ body: "hi" });
    await Note.create({ body: "hi", _auto_key: "3f2a9c0d3f2a9c0d3f2a9c0d3f2a9c0d" });
    expectTypeOf<KeyLookup<FieldsOf<typeof Note>>>().toEqualTypeOf<{ _auto_key: string }>();
  });

  test("a model with key fields (an AutoKeyField included) has none", () => {
    expectTypeOf<Book>().not.toHaveProperty("_auto_key");
    expectTypeOf<Ticket>().not.toHaveProperty("_auto_key");
    expectTypeOf<Ticket["id"]>().toEqualTypeOf<string>();
  });
});

describe("results are the subclass", () => {
  test("Book.create() resolves to Book, with its getters", async () => {
    const book = await Book.create({ title: "The Hobbit", pages: 310 });
    expectTypeOf(book).toEqualTypeOf<Book>();
    expectTypeOf(book.label).toEqualTypeOf<string>();
    expectTypeOf(book.save()).toEqualTypeOf<Promise<Book>>();
    expectTypeOf(Book.create({ title: "x", pages: 1 })).toEqualTypeOf<Promise<Book>>();
  });

  test("Book.load() looks up by every key field, or by instance key", async () => {
    expectTypeOf<KeyLookup<FieldsOf<typeof Book>>>().toEqualTypeOf<{ title: string }>();
    expectTypeOf<KeyLookup<FieldsOf<typeof Ticket>>>().toEqualTypeOf<{
      id: string;
      event: number;
      seat: number;
      email: string;
      region: string | null;
    }>();
    const book = await Book.load({ title: "The Hobbit" });
    expectTypeOf(book).toEqualTypeOf<Book | null>();
    expectTypeOf(book?.label).toEqualTypeOf<string | undefined>();
    expectTypeOf(Book.load("CreateBook:The Hobbit")).toEqualTypeOf<Promise<Book | null>>();
    expectTypeOf(Note.load({ _auto_key: "3f2a" })).toEqualTypeOf<Promise<Note | null>>();
  });

  test("Book.load() refuses a missing key field, a wrong type or a non-key field", async () => {
    // @ts-expect-error title, the key field, is missing
    await Book.load({});
    // @ts-expect-error title is a string
    await Book.load({ title: 1 });
    // @ts-expect-error pages is not a key field
    await Book.load({ title: "The Hobbit", pages: 310 });
    // @ts-expect-error every key field is needed: seat and the others are missing
    await Ticket.load({ id: "0a1b2c3d", event: 1 });
  });

  test("statics keep the model's name", () => {
    expectTypeOf(Book.modelName).toEqualTypeOf<"CreateBook">();
  });
});
