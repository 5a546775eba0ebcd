/**
 * The value types a field can declare, spelled as Popoto spells them in `Field({ type })`.
 *
 * | type       | TypeScript value              | stored (msgpack, see docs/storage.md)            |
 * |------------|-------------------------------|--------------------------------------------------|
 * | "string"   | string                        | str                                              |
 * | "int"      | number (safe integer)         | int                                              |
 * | "float"    | number (finite)               | float64, always                                  |
 * | "boolean"  | boolean                       | true / false                                     |
 * | "bytes"    | Uint8Array (Buffer is one)    | bin                                              |
 * | "list"     | unknown[]                     | array                                            |
 * | "dict"     | Record<string, unknown>       | map                                              |
 * | "set"      | Set<unknown>                  | map { __set__: true, as_encodable: [...] }       |
 * | "tuple"    | readonly unknown[]            | map { __tuple__: true, as_encodable: [...] }     |
 * | "decimal"  | string ("1.10", exact text)   | map { __Decimal__: true, as_encodable: "1.10" }  |
 * | "date"     | Date at 00:00:00.000 UTC      | map { __date__: true, as_encodable: "20200102" } |
 * | "datetime" | Date (an instant)             | map { __datetime__: true, as_encodable: "..." }  |
 * | "time"     | string "HH:MM:SS.ffffff"      | map { __time__: true, as_encodable: "..." }      |
 */
export type FieldType =
  | "string"
  | "int"
  | "float"
  | "boolean"
  | "bytes"
  | "list"
  | "dict"
  | "set"
  | "tuple"
  | "decimal"
  | "date"
  | "datetime"
  | "time";

/** Run-time list of every field type; `satisfies` keeps it in step with the union above. */
export const FIELD_TYPES = {
  string: true,
  int: true,
  float: true,
  boolean: true,
  bytes: true,
  list: true,
  dict: true,
  set: true,
  tuple: true,
  decimal: true,
  date: true,
  datetime: true,
  time: true,
} as const satisfies Record<FieldType, true>;

/** The TypeScript value each field type holds once decoded. */
export interface FieldTypeValues {
  string: string;
  int: number;
  float: number;
  boolean: boolean;
  bytes: Uint8Array;
  list: unknown[];
  dict: Record<string, unknown>;
  set: Set<unknown>;
  tuple: readonly unknown[];
  decimal: string;
  date: Date;
  datetime: Date;
  time: string;
}

/** Types whose values can be a part of an instance key (Popoto: "valid KeyField type"). */
export const KEY_TYPES = {
  string: true,
  int: true,
  float: true,
  boolean: true,
  decimal: true,
  date: true,
  datetime: true,
  time: true,
} as const satisfies Partial<Record<FieldType, true>>;
export type KeyType = keyof typeof KEY_TYPES;

/** Types that have a numeric sorted-set score (Popoto: SortedField types). */
export const SORTED_TYPES = {
  int: true,
  float: true,
  decimal: true,
  date: true,
  datetime: true,
  time: true,
} as const satisfies Partial<Record<FieldType, true>>;
export type SortedType = keyof typeof SORTED_TYPES;

export const isFieldType = (value: unknown): value is FieldType =>
  typeof value === "string" && Object.hasOwn(FIELD_TYPES, value);

/** Types a `choices` list can hold: compared by value (a Date, a list or a set is not). */
export const CHOICE_TYPES = {
  string: true,
  int: true,
  float: true,
  decimal: true,
  time: true,
} as const satisfies Partial<Record<FieldType, true>>;
export type ChoiceType = keyof typeof CHOICE_TYPES;
