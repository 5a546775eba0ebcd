/**
 * Filter types: every `filter()` key (`pages__gte`, `title__startswith`, `author__name`) and the
 * value it takes, derived from the field definitions. Type-only.
 *
 * One hop is listed eagerly (so editors complete it); deeper relationship paths are checked only
 * for the keys actually written, which keeps type-checking cheap at any depth.
 */
import type { FieldConfig } from "../fields/field.js";
import type { Models } from "../model/registry.js";
import type { ConfigOf, Fields, StoredFields } from "../model/value-types.js";
import type { OpNames } from "./operators.js";
import type { GeoUnit } from "./plan.js";

/** A filter key or value the model cannot answer; the message says why. */
export interface FilterError<TMessage extends string> {
  readonly "~filterError": TMessage;
}

type Equal<C extends FieldConfig> = C["nullable"] extends true ? C["value"] | null : C["value"];

/** What identifies a related instance in a filter: the instance, a Reference, or its key. */
export type RelatedRef = { readonly redisKey: string } | string;

/** One target of a relationship as a filter value: its instance, a Reference to it, or its key. */
type RelatedValue<C extends FieldConfig> =
  (C["value"] extends readonly (infer E)[] ? E : C["value"]) | string;

/** A geo filter: within `radius` (in `unit`, default metres) of a point or of another instance. */
export type GeoWithin =
  | {
      readonly latitude: number;
      readonly longitude: number;
      readonly radius: number;
      readonly unit?: GeoUnit | undefined;
    }
  | { readonly member: RelatedRef; readonly radius: number; readonly unit?: GeoUnit | undefined };

/** The value each operator takes on a field of config C (which operators it has: query/operators.ts). */
type OpValues<C extends FieldConfig> = {
  "": Equal<C>;
  in: readonly Equal<C>[];
  isnull: boolean;
  startswith: string;
  endswith: string;
  contains: string;
  gt: C["value"];
  gte: C["value"];
  lt: C["value"];
  lte: C["value"];
  between: readonly [C["value"], C["value"]];
  within: GeoWithin;
  any: readonly string[];
  all: readonly string[];
};

/** A relationship's operators take its targets: instances, References or keys. */
type RelationshipOpValues<C extends FieldConfig> = {
  "": RelatedValue<C> | null;
  in: readonly RelatedValue<C>[];
  isnull: boolean;
};

/** The operators of a field and their value types. Plain fields have none: they are not indexed. */
export type OpsOf<C extends FieldConfig> = PickOps<
  C["kind"] extends "relationship" ? RelationshipOpValues<C> : OpValues<C>,
  OpNames<C["kind"], C["type"]>
>;
type PickOps<TValues, TNames> = { [K in TNames & keyof TValues]: TValues[K] };

type PathOf<TName extends string, TOp extends string> = TOp extends "" ? TName : `${TName}__${TOp}`;

type FieldEntries<TName extends string, TOps> = {
  [TOp in keyof TOps & string]: { path: PathOf<TName, TOp>; value: TOps[TOp] };
}[keyof TOps & string];

/** Names of the fields some sorted field is partitioned by. */
type PartitionNames<TFields extends Fields> = {
  [K in keyof TFields]: ConfigOf<TFields[K]> extends { readonly partition: infer P } ? P : never;
}[keyof TFields];

/** A field's operators; a plain field that partitions a sorted field takes equality (it picks the partition). */
type FieldOps<TFields extends Fields, K extends string, C extends FieldConfig> = C["kind"] extends "plain"
  ? K extends PartitionNames<TFields>
    ? { "": Equal<C> }
    : {}
  : OpsOf<C>;

type Entries<TFields extends Fields> = {
  [K in keyof StoredFields<TFields> & string]: FieldEntries<
    K,
    FieldOps<TFields, K, ConfigOf<StoredFields<TFields>[K]>>
  >;
}[keyof StoredFields<TFields> & string];

/** Every one-hop filter key of a model with its value type. */
export type ShallowFilter<TFields extends Fields> = {
  [E in Entries<TFields> as E["path"]]?: E["value"] | undefined;
};

/** The fields of a relationship's target model (a class, a thunk, or a registered name). */
export type TargetFields<C> = C extends { readonly target: infer T }
  ? T extends string
    ? T extends keyof Models
      ? FieldsOfModel<Models[T]>
      : never
    : T extends () => infer R
      ? FieldsOfModel<R>
      : FieldsOfModel<T>
  : never;

/** The fields a model class was made from (its phantom `~fields`). */
export type FieldsOfModel<TModel> = TModel extends { readonly "~fields"?: infer F extends Fields }
  ? F
  : never;

/** The value type of a filter key at any depth, or a FilterError saying what is wrong with it. */
export type PathValue<
  TFields extends Fields,
  TPath extends string,
> = TPath extends keyof ShallowFilter<TFields>
  ? ShallowFilter<TFields>[TPath]
  : TPath extends `${infer THead}__${infer TRest}`
    ? THead extends keyof StoredFields<TFields>
      ? ConfigOf<StoredFields<TFields>[THead]>["kind"] extends "relationship"
        ? [TargetFields<ConfigOf<StoredFields<TFields>[THead]>>] extends [never]
          ? FilterError<`the target of "${THead}" is not known to the compiler: register it in interface Models`>
          : PathValue<TargetFields<ConfigOf<StoredFields<TFields>[THead]>>, TRest>
        : FilterError<`"${THead}" does not support "__${TRest}" (see its field kind for the operators it has)`>
      : FilterError<`no field "${THead}"`>
    : FilterError<`no field "${TPath}", or it is not indexed (plain fields cannot be filtered)`>;

/**
 * The type of a filter held in a variable: every one-hop key with its value type.
 * @example const where: Filter<typeof Book> = { pages__gte: 300 }; await Book.query.filter(where)
 */
export type Filter<TModel> = ShallowFilter<FieldsOfModel<TModel>>;

type NestedOps<C extends FieldConfig> = {
  readonly [TOp in Exclude<keyof OpsOf<C>, ""> & string]?: OpsOf<C>[TOp];
};

/** A field's value in the nested form: an exact value, `{ op: value }`, or (relationships) a nested filter. */
export type NestedValue<C extends FieldConfig> = [keyof OpsOf<C>] extends [never]
  ? never
  : | ("" extends keyof OpsOf<C> ? OpsOf<C>[""] : never)
    | NestedOps<C>
    | (C["kind"] extends "relationship"
        ? [TargetFields<C>] extends [never]
          ? never
          : // an object with a redisKey is an instance (exact match), not a nested filter
            NestedFilter<TargetFields<C>> & { readonly redisKey?: never }
        : never);

/**
 * The nested object form of a filter: `{ author: { name: "Tolkien" }, pages: { gte: 300 } }`.
 * Cheap to check at any depth, and completes at every level.
 */
export type NestedFilter<TFields extends Fields> = {
  readonly [K in keyof StoredFields<TFields> & string]?: NestedValue<ConfigOf<StoredFields<TFields>[K]>>;
};

/** A filter object checked key by key: each key maps to its value type or to a FilterError. */
export type CheckedFilter<TFields extends Fields, TQuery> = {
  [P in keyof TQuery]: P extends keyof StoredFields<TFields> & string
    ? [NestedValue<ConfigOf<StoredFields<TFields>[P]>>] extends [never]
      ? PathValue<TFields, P>
      : NestedValue<ConfigOf<StoredFields<TFields>[P]>> | undefined
    : P extends string
      ? PathValue<TFields, P>
      : never;
};

/** The constraint a filter's inferred type must meet: one-hop keys listed (for completion), any key allowed. */
export type FilterInput<TFields extends Fields> = {
  readonly [K in keyof ShallowFilter<TFields>]?: unknown;
} & Readonly<Record<string, unknown>>;

/**
 * A filter parameter's type. Inference takes the argument as it is (the `TQuery` branch), then
 * the check either accepts it or shows the expected type of each key, so a wrong value reads
 * "Type 'string' is not assignable to type 'number'" and an unknown key names the problem.
 */
export type ValidFilter<TFields extends Fields, TQuery> =
  TQuery extends CheckedFilter<TFields, TQuery> ? TQuery : CheckedFilter<TFields, TQuery>;
