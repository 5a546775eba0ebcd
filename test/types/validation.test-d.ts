/**
 * Value checks are typed per field type: `min`/`max` take the field's own value type and exist
 * only on numeric, decimal, date, datetime and time fields, `pattern` only on strings, `choices`
 * only on types compared by value, `validate` gets the converted value. `Model.schema` is a
 * Standard Schema v1, checked against the spec's own published types (@standard-schema/spec).
 */
import type { StandardSchemaV1 as Spec } from "@standard-schema/spec";
import { describe, expectTypeOf, test } from "vitest";
import {
  AutoKeyField,
  BooleanField,
  DateField,
  DatetimeField,
  DecimalField,
  Field,
  GeoField,
  IntField,
  KeyField,
  ListField,
  Model,
  Relationship,
  SortedField,
  StringField,
  TimeField,
  UniqueKeyField,
  type GeoPoint,
  type InferCreate,
} from "../../src/index.js";

describe("value checks on field options", () => {
  test("each check where its type has a use for it", () => {
    IntField({ min: 0, max: 10, choices: [1, 2, 3] });
    Field({ type: "float", min: 0.5 });
    DecimalField({ min: "0.00", max: "99.99" });
    DateField({ min: new Date("2000-01-01") });
    DatetimeField({ min: new Date(0), max: new Date(), autoNowAdd: true });
    TimeField({ min: "09:00", max: "17:30", choices: ["12:00"] });
    StringField({ pattern: /^[a-z]+$/, choices: ["a", "b"] });
    KeyField({ pattern: /^[a-z-]+$/, maxLength: 40 });
    KeyField({ type: "int", min: 1 });
    UniqueKeyField({ pattern: /^\S+@\S+$/ });
    SortedField({ type: "int", min: 1, max: 5000, choices: [1, 2] });
    GeoField({ validate: (point) => (point.latitude > 0 ? undefined : "north only") });
  });

  test("validate gets the field's value type and returns a message or undefined", () => {
    IntField({
      validate: (value) => {
        expectTypeOf(value).toEqualTypeOf<number>();
        return value % 2 === 0 ? undefined : "must be even";
      },
    });
    DatetimeField({ validate: (value) => (expectTypeOf(value).toEqualTypeOf<Date>(), undefined) });
    GeoField({ validate: (value) => (expectTypeOf(value).toEqualTypeOf<GeoPoint>(), undefined) });
    ListField({ validate: (value) => (value.length > 0 ? undefined : "empty") });
    // @ts-expect-error: validate returns a message or undefined, not a boolean
    IntField({ validate: (value: number) => value > 0 });
  });

  test("a check the type has no use for does not compile", () => {
    // @ts-expect-error: min is for numeric, decimal, date, datetime and time fields
    StringField({ min: 1 });
    // @ts-expect-error: min of a string Field
    Field({ type: "string", max: 3 });
    // @ts-expect-error: pattern is for strings
    IntField({ pattern: /1/ });
    // @ts-expect-error: pattern on a datetime
    DatetimeField({ pattern: /2020/ });
    // @ts-expect-error: a Date is not compared by value in a choices list
    DatetimeField({ choices: [new Date()] });
    // @ts-expect-error: choices of a boolean
    BooleanField({ choices: [true] });
    // @ts-expect-error: a sorted field holds numbers, not strings to match
    SortedField({ type: "int", pattern: /1/ });
    // @ts-expect-error: GeoField takes validate only
    GeoField({ min: 1 });
    // @ts-expect-error: a generated key has no checks
    AutoKeyField({ validate: () => undefined });
    // @ts-expect-error: a relationship has no checks
    Relationship("Author", { validate: () => undefined });
  });

  test("bounds and choices have the field's own value type", () => {
    // @ts-expect-error: an int's min is a number
    IntField({ min: "1" });
    // @ts-expect-error: a date's min is a Date
    DateField({ min: "2020-01-01" });
    // @ts-expect-error: an int key's choices are numbers
    KeyField({ type: "int", choices: ["a"] });
    // @ts-expect-error: a decimal's max is its exact text
    DecimalField({ max: 10 });
  });
});

class Book extends Model("ValTypesBook", {
  title: KeyField({ pattern: /^\S/ }),
  pages: SortedField({ type: "int", min: 1 }),
  genre: Field({ choices: ["sf", "fantasy"], null: true }),
}) {}

/** How a framework takes any Standard Schema (its own copy of the spec's types). */
declare function parseWith<TSchema extends Spec>(schema: TSchema, body: unknown): Spec.InferOutput<TSchema>;

describe("Model.schema", () => {
  test("is a Standard Schema v1 of the create() input, by the spec's own types", () => {
    expectTypeOf(Book.schema).toExtend<Spec<InferCreate<typeof Book>>>();
    expectTypeOf<Spec.InferInput<typeof Book.schema>>().toEqualTypeOf<InferCreate<typeof Book>>();
    expectTypeOf(parseWith(Book.schema, {})).toEqualTypeOf<InferCreate<typeof Book>>();
    const result = Book.schema["~standard"].validate({ title: "Dune", pages: 412 });
    if (result.issues === undefined) expectTypeOf(result.value.pages).toEqualTypeOf<number>();
    else expectTypeOf(result.issues[0]?.path).toEqualTypeOf<readonly PropertyKey[] | undefined>();
  });

  test("is the schema of its own model only", () => {
    class Author extends Model("ValTypesAuthor", { name: KeyField() }) {}
    // @ts-expect-error: an Author input is not a Book input
    expectTypeOf(Author.schema).toExtend<Spec<InferCreate<typeof Book>>>();
  });
});
