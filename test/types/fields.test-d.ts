/**
 * Field types: what each factory declares, as seen on instances and in field configs, and the
 * option mistakes refused when the model is written (before any code runs).
 */
import { describe, expectTypeOf, test } from "vitest";
import {
  AutoKeyField,
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
  SetField,
  SortedField,
  SortedKeyField,
  StringField,
  TimeField,
  TupleField,
  UniqueKeyField,
} from "../../src/index.js";
import type { FieldDef, FieldTypeValues, InstanceMembers } from "../../src/index.js";

/** The type-only config a field definition carries (type tests are not run, so it need not exist). */
declare function configOf<TField extends FieldDef>(field: TField): NonNullable<TField["~types"]>;

class AllTypes extends Model("TypesAllTypes", {
  aString: Field({ type: "string" }),
  anInt: Field({ type: "int" }),
  aFloat: Field({ type: "float" }),
  aBoolean: Field({ type: "boolean" }),
  someBytes: Field({ type: "bytes" }),
  aList: Field({ type: "list" }),
  aDict: Field({ type: "dict" }),
  aSet: Field({ type: "set" }),
  aTuple: Field({ type: "tuple" }),
  aDecimal: Field({ type: "decimal" }),
  aDate: Field({ type: "date" }),
  aDatetime: Field({ type: "datetime" }),
  aTime: Field({ type: "time" }),
  untyped: Field(),
}) {}

/** The 13 typed fields of AllTypes (and Shortcuts). */
type TypedName = Exclude<keyof AllTypes, "untyped" | "_auto_key" | "~model" | keyof InstanceMembers>;

class Shortcuts extends Model("TypesShortcuts", {
  aString: StringField(),
  anInt: IntField(),
  aFloat: FloatField(),
  aBoolean: BooleanField(),
  someBytes: BytesField(),
  aList: ListField(),
  aDict: DictField(),
  aSet: SetField(),
  aTuple: TupleField(),
  aDecimal: DecimalField(),
  aDate: DateField(),
  aDatetime: DatetimeField(),
  aTime: TimeField(),
}) {}

class Nullables extends Model("TypesNullables", {
  aString: Field({ null: true }),
  anInt: Field({ type: "int", null: true }),
  aDate: DateField({ null: true }),
  aList: ListField({ null: true }),
  notNull: Field({ type: "int", null: false }),
  withNullDefault: IntField({ null: true, default: null }),
  stamped: DatetimeField({ autoNow: true, null: true }),
}) {}

class Indexed extends Model("TypesIndexed", {
  title: KeyField(),
  code: KeyField({ type: "int" }),
  region: KeyField({ null: true }),
  day: KeyField({ type: "date" }),
  isbn: UniqueKeyField(),
  serial: UniqueKeyField({ type: "int" }),
  ref: AutoKeyField({ length: 8 }),
  score: SortedField(),
  pages: SortedField({ type: "int" }),
  price: SortedField({ type: "decimal" }),
  published: SortedField({ type: "date" }),
  seen: SortedField({ type: "datetime" }),
  at: SortedField({ type: "time" }),
  rank: SortedKeyField({ type: "int" }),
  weight: SortedKeyField(),
  created: DatetimeField({ autoNowAdd: true }),
  updated: DatetimeField({ autoNow: true }),
}) {}

describe("instance field types", () => {
  test("Field({ type }) holds the TypeScript value of each of the 13 types", () => {
    const row = new AllTypes();
    expectTypeOf(row.aString).toEqualTypeOf<string>();
    expectTypeOf(row.anInt).toEqualTypeOf<number>();
    expectTypeOf(row.aFloat).toEqualTypeOf<number>();
    expectTypeOf(row.aBoolean).toEqualTypeOf<boolean>();
    expectTypeOf(row.someBytes).toEqualTypeOf<Uint8Array>();
    expectTypeOf(row.aList).toEqualTypeOf<unknown[]>();
    expectTypeOf(row.aDict).toEqualTypeOf<Record<string, unknown>>();
    expectTypeOf(row.aSet).toEqualTypeOf<Set<unknown>>();
    expectTypeOf(row.aTuple).toEqualTypeOf<readonly unknown[]>();
    expectTypeOf(row.aDecimal).toEqualTypeOf<string>();
    expectTypeOf(row.aDate).toEqualTypeOf<Date>();
    expectTypeOf(row.aDatetime).toEqualTypeOf<Date>();
    expectTypeOf(row.aTime).toEqualTypeOf<string>();
    expectTypeOf(row.untyped).toEqualTypeOf<string>();
  });

  test("the shortcut factories hold the same values as Field({ type })", () => {
    const row = new Shortcuts();
    expectTypeOf(row.aString).toEqualTypeOf<FieldTypeValues["string"]>();
    expectTypeOf(row.anInt).toEqualTypeOf<FieldTypeValues["int"]>();
    expectTypeOf(row.aFloat).toEqualTypeOf<FieldTypeValues["float"]>();
    expectTypeOf(row.aBoolean).toEqualTypeOf<FieldTypeValues["boolean"]>();
    expectTypeOf(row.someBytes).toEqualTypeOf<FieldTypeValues["bytes"]>();
    expectTypeOf(row.aList).toEqualTypeOf<FieldTypeValues["list"]>();
    expectTypeOf(row.aDict).toEqualTypeOf<FieldTypeValues["dict"]>();
    expectTypeOf(row.aSet).toEqualTypeOf<FieldTypeValues["set"]>();
    expectTypeOf(row.aTuple).toEqualTypeOf<FieldTypeValues["tuple"]>();
    expectTypeOf(row.aDecimal).toEqualTypeOf<FieldTypeValues["decimal"]>();
    expectTypeOf(row.aDate).toEqualTypeOf<FieldTypeValues["date"]>();
    expectTypeOf(row.aDatetime).toEqualTypeOf<FieldTypeValues["datetime"]>();
    expectTypeOf(row.aTime).toEqualTypeOf<FieldTypeValues["time"]>();
    expectTypeOf<Pick<Shortcuts, TypedName>>().toEqualTypeOf<Pick<AllTypes, TypedName>>();
  });

  test("null: true adds null; null: false and no option do not", () => {
    const row = new Nullables();
    expectTypeOf(row.aString).toEqualTypeOf<string | null>();
    expectTypeOf(row.anInt).toEqualTypeOf<number | null>();
    expectTypeOf(row.aDate).toEqualTypeOf<Date | null>();
    expectTypeOf(row.aList).toEqualTypeOf<unknown[] | null>();
    expectTypeOf(row.notNull).toEqualTypeOf<number>();
    expectTypeOf(row.withNullDefault).toEqualTypeOf<number | null>();
    expectTypeOf(row.stamped).toEqualTypeOf<Date | null>();
  });

  test("key, unique, auto key and sorted fields hold their value type", () => {
    const row = new Indexed();
    expectTypeOf(row.title).toEqualTypeOf<string>();
    expectTypeOf(row.code).toEqualTypeOf<number>();
    expectTypeOf(row.region).toEqualTypeOf<string | null>();
    expectTypeOf(row.day).toEqualTypeOf<Date>();
    expectTypeOf(row.isbn).toEqualTypeOf<string>();
    expectTypeOf(row.serial).toEqualTypeOf<number>();
    expectTypeOf(row.ref).toEqualTypeOf<string>();
    expectTypeOf(row.score).toEqualTypeOf<number>(); // SortedField defaults to float
    expectTypeOf(row.pages).toEqualTypeOf<number>();
    expectTypeOf(row.price).toEqualTypeOf<string>();
    expectTypeOf(row.published).toEqualTypeOf<Date>();
    expectTypeOf(row.seen).toEqualTypeOf<Date>();
    expectTypeOf(row.at).toEqualTypeOf<string>();
    expectTypeOf(row.rank).toEqualTypeOf<number>();
    expectTypeOf(row.weight).toEqualTypeOf<number>();
    expectTypeOf(row.created).toEqualTypeOf<Date>();
    expectTypeOf(row.updated).toEqualTypeOf<Date>();
  });

  test("instance fields are writable with their own type; members are not fields", () => {
    const row = new Indexed();
    row.pages = 12;
    row.region = null;
    // @ts-expect-error pages holds a number
    row.pages = "12";
    // @ts-expect-error title is not nullable
    row.title = null;
    // @ts-expect-error the instance key is computed
    row.redisKey = "TypesIndexed:x";
    expectTypeOf(row.redisKey).toEqualTypeOf<string>();
    expectTypeOf(row.save()).toEqualTypeOf<Promise<Indexed>>();
    expectTypeOf(row.delete()).toEqualTypeOf<Promise<boolean>>();
  });
});

describe("field configs", () => {
  test("each factory records its kind", () => {
    expectTypeOf(configOf(Field()).kind).toEqualTypeOf<"plain">();
    expectTypeOf(configOf(IntField()).kind).toEqualTypeOf<"plain">();
    expectTypeOf(configOf(DatetimeField()).kind).toEqualTypeOf<"plain">();
    expectTypeOf(configOf(KeyField()).kind).toEqualTypeOf<"key">();
    expectTypeOf(configOf(UniqueKeyField()).kind).toEqualTypeOf<"uniqueKey">();
    expectTypeOf(configOf(AutoKeyField()).kind).toEqualTypeOf<"autoKey">();
    expectTypeOf(configOf(SortedField()).kind).toEqualTypeOf<"sorted">();
    expectTypeOf(configOf(SortedKeyField()).kind).toEqualTypeOf<"sortedKey">();
  });

  test("defaults of the type option: string for Field and KeyField, float for sorted fields", () => {
    expectTypeOf(configOf(Field()).type).toEqualTypeOf<"string">();
    expectTypeOf(configOf(KeyField()).type).toEqualTypeOf<"string">();
    expectTypeOf(configOf(UniqueKeyField()).type).toEqualTypeOf<"string">();
    expectTypeOf(configOf(SortedField()).type).toEqualTypeOf<"float">();
    expectTypeOf(configOf(SortedKeyField()).type).toEqualTypeOf<"float">();
  });

  test("optional: nullable, defaulted, generated or auto-stamped fields may be left out of create()", () => {
    expectTypeOf(configOf(Field({ type: "int" })).optional).toEqualTypeOf<false>();
    expectTypeOf(configOf(Field({ type: "int", null: true })).optional).toEqualTypeOf<true>();
    expectTypeOf(configOf(IntField({ default: 3 })).optional).toEqualTypeOf<true>();
    expectTypeOf(configOf(SetField({ default: () => new Set() })).optional).toEqualTypeOf<true>();
    expectTypeOf(configOf(ListField({ default: [] })).optional).toEqualTypeOf<true>();
    expectTypeOf(configOf(DatetimeField({ autoNow: true })).optional).toEqualTypeOf<true>();
    expectTypeOf(configOf(DatetimeField({ autoNowAdd: true })).optional).toEqualTypeOf<true>();
    expectTypeOf(configOf(DatetimeField({ autoNow: false })).optional).toEqualTypeOf<false>();
    expectTypeOf(configOf(AutoKeyField()).optional).toEqualTypeOf<true>();
    expectTypeOf(configOf(SortedField({ type: "int", default: 0 })).optional).toEqualTypeOf<true>();
    expectTypeOf(configOf(Field({ type: "int", default: undefined })).optional).toEqualTypeOf<false>();
  });

  test("nullable only with null: true", () => {
    expectTypeOf(configOf(Field({ type: "int", null: true })).nullable).toEqualTypeOf<true>();
    expectTypeOf(configOf(Field({ type: "int", null: false })).nullable).toEqualTypeOf<false>();
    expectTypeOf(configOf(IntField({ default: 3 })).nullable).toEqualTypeOf<false>();
    expectTypeOf(configOf(DatetimeField({ autoNow: true })).nullable).toEqualTypeOf<false>();
    expectTypeOf(configOf(KeyField({ null: true })).nullable).toEqualTypeOf<true>();
  });
});

describe("definition-time type errors", () => {
  test("sorted fields cannot be null and need a type with a score", () => {
    // @ts-expect-error SortedField cannot be null (a sorted set has no score for null)
    SortedField({ null: true });
    // @ts-expect-error SortedKeyField cannot be null either
    SortedKeyField({ null: true });
    // @ts-expect-error a string has no sort score
    SortedField({ type: "string" });
    // @ts-expect-error a boolean has no sort score
    SortedField({ type: "boolean" });
    SortedField({ null: false, type: "int" });
  });

  test("key fields need a type that can be part of a Redis key", () => {
    // @ts-expect-error a list cannot be a key part
    KeyField({ type: "list" });
    // @ts-expect-error bytes cannot be a key part
    KeyField({ type: "bytes" });
    // @ts-expect-error a dict cannot be a unique key part
    UniqueKeyField({ type: "dict" });
  });

  test("unique and auto keys cannot be null", () => {
    // @ts-expect-error a unique key must identify one instance
    UniqueKeyField({ null: true });
    // @ts-expect-error an auto key is generated for every instance
    AutoKeyField({ null: true });
  });

  test("an auto key's kind is uuid, ulid or ksuid", () => {
    AutoKeyField({ kind: "ulid" });
    AutoKeyField({ kind: "ksuid" });
    AutoKeyField({ kind: "uuid", length: 12 });
    // @ts-expect-error no such kind
    AutoKeyField({ kind: "nanoid" });
  });

  test("a default must be a value of the field's type", () => {
    // @ts-expect-error "x" is not an int
    Field({ type: "int", default: "x" });
    // @ts-expect-error Field() is a string field when the type is left out
    Field({ default: 5 });
    // @ts-expect-error "1" is not an int key
    KeyField({ type: "int", default: "1" });
    // @ts-expect-error a null default needs null: true
    IntField({ default: null });
    // @ts-expect-error the function must return the field's type
    DatetimeField({ default: () => "2020-01-02" });
    Field({ type: "int", null: true, default: null });
    DatetimeField({ default: () => new Date() });
  });

  test("unknown types and options are refused", () => {
    // @ts-expect-error not a field type
    Field({ type: "text" });
    // @ts-expect-error not an option of Field()
    Field({ nullable: true });
    // @ts-expect-error Model options are checked against the field names
    Model("TypesBadOrder", { title: KeyField() }, { orderBy: "-nope" });
    Model("TypesGoodOrder", { title: KeyField() }, { orderBy: ["-title"], ttl: 60 });
  });
});
