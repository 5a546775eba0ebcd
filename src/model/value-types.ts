/**
 * Types derived from field definitions: an instance's values, `create()` input, key lookups.
 * Type-only; nothing here exists at run time.
 */
import type { AnyField, FieldConfig, FieldDef } from "../fields/field.js";

/** A model's field definitions, as passed to `Model(name, fields)`. */
export type Fields = Readonly<Record<string, AnyField>>;

/** Flattens intersections so editor hovers show one plain object. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The type config of a field definition. */
export type ConfigOf<TField> = TField extends FieldDef<infer TConfig> ? TConfig : never;

type KeyKinds = "key" | "uniqueKey" | "autoKey" | "sortedKey";

/** Names of the key fields (those that make up the instance key). */
export type KeyFieldNames<TFields extends Fields> = {
  [K in keyof TFields & string]: ConfigOf<TFields[K]>["kind"] extends KeyKinds ? K : never;
}[keyof TFields & string];

/** The hidden `_auto_key` a model without key fields gets. */
export type AutoKeyDef = FieldDef<{
  value: string;
  nullable: false;
  optional: true;
  kind: "autoKey";
  type: "string";
}>;

/** The fields as stored: the declared ones, plus `_auto_key` when none of them is a key field. */
export type StoredFields<TFields extends Fields> = [KeyFieldNames<TFields>] extends [never]
  ? TFields & { readonly _auto_key: AutoKeyDef }
  : TFields;

/** A field's value on an instance: the config's value, `| null` when nullable. */
export type ValueOf<TField> =
  ConfigOf<TField> extends infer C extends FieldConfig
    ? C["nullable"] extends true
      ? C["value"] | null
      : C["value"]
    : never;

/** What a field accepts on input (relationships accept more than they hold; see issue docs). */
export type InputOf<TField> = ConfigOf<TField> extends { readonly input: infer I } ? I : ValueOf<TField>;

/** An instance's field values. */
export type Values<TFields extends Fields> = {
  -readonly [K in keyof StoredFields<TFields>]: ValueOf<StoredFields<TFields>[K]>;
};

/** A field as `values()` returns it: a relationship as its target's key (or keys). */
export type PlainValueOf<TField> =
  ConfigOf<TField> extends { readonly kind: "relationship"; readonly many: infer TMany }
    ? TMany extends true
      ? string[]
      : string | (ConfigOf<TField>["nullable"] extends true ? null : never)
    : ValueOf<TField>;

/** An instance's values as plain data, as `values()` records hold them. */
export type PlainValues<TFields extends Fields> = {
  -readonly [K in keyof StoredFields<TFields>]: PlainValueOf<StoredFields<TFields>[K]>;
};

type RequiredNames<TFields extends Fields> = {
  [K in keyof TFields]: ConfigOf<TFields[K]>["optional"] extends true ? never : K;
}[keyof TFields];
type OptionalNames<TFields extends Fields> = Exclude<keyof TFields, RequiredNames<TFields>>;

/** `create()` input: every field that is not nullable, defaulted or generated is required. */
export type CreateInput<TFields extends Fields> = Simplify<
  { [K in RequiredNames<StoredFields<TFields>>]: InputOf<StoredFields<TFields>[K]> } & {
    [K in OptionalNames<StoredFields<TFields>>]?: InputOf<StoredFields<TFields>[K]> | undefined;
  }
>;

/** Constructor input: anything may be left out and assigned before `save()`. */
export type ConstructInput<TFields extends Fields> = Simplify<{
  [K in keyof StoredFields<TFields>]?: InputOf<StoredFields<TFields>[K]> | undefined;
}>;

/** Every key field's value: names one instance (`Book.load({ title: "Dune" })`). */
export type KeyLookup<TFields extends Fields> = Simplify<{
  [K in KeyFieldNames<StoredFields<TFields>>]: InputOf<StoredFields<TFields>[K]>;
}>;

/** Field names usable in `orderBy`, with `-` for descending. */
export type OrderName<TFields extends Fields> = `${"" | "-"}${keyof StoredFields<TFields> & string}`;

/** Names of a model's sorted fields (`SortedField`, `SortedKeyField`): what `min()` and `max()` take. */
export type SortedFieldName<TFields extends Fields> = {
  [K in keyof TFields & string]: ConfigOf<TFields[K]>["kind"] extends "sorted" | "sortedKey" ? K : never;
}[keyof TFields & string];

/** Names of a model's int, float and decimal sorted fields: what `sum()` and `avg()` take. */
export type NumericSortedFieldName<TFields extends Fields> = {
  [K in SortedFieldName<TFields>]: ConfigOf<TFields[K]>["type"] extends "int" | "float" | "decimal"
    ? K
    : never;
}[SortedFieldName<TFields>];

/** Names of a model's key and indexed fields: what `countBy()` takes. */
export type GroupFieldName<TFields extends Fields> = {
  [K in keyof TFields & string]: ConfigOf<TFields[K]>["kind"] extends
    "key" | "uniqueKey" | "sortedKey" | "indexed" | "unique"
    ? K
    : never;
}[keyof TFields & string];

/** `query.update()` input: any field but the key fields, each optional, typed as `create()` takes it. */
export type UpdateInput<TFields extends Fields> = Simplify<{
  [K in Exclude<keyof TFields, KeyFieldNames<TFields>>]?: InputOf<TFields[K]> | undefined;
}>;
