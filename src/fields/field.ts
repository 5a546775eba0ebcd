/**
 * What every field is: its kind, its run-time spec, its type-level config, and the shared pieces
 * the factories (one file per kind, beside this one) build on.
 */
import type { AutoKeyKind } from "../keys/ids.js";
import {
  CHOICE_TYPES,
  SORTED_TYPES,
  type ChoiceType,
  type FieldType,
  type FieldTypeValues,
  type SortedType,
} from "./field-type.js";

/**
 * How a field takes part in indexing. Each kind decides which Redis structures a save writes
 * (docs/storage.md) and which lookups a filter may use.
 */
export type FieldKind =
  | "plain" // stored in the hash only
  | "key" // part of the instance key, `$KeyF` set per value
  | "uniqueKey" // part of the instance key, `$UniqueKeyF` set per value, uniqueness enforced
  | "autoKey" // part of the instance key, generated, no index set
  | "sorted" // `$SortF` sorted set (score = numeric value)
  | "sortedKey" // part of the instance key, `$SortedKeyF` sorted set, no `$KeyF` set
  | "relationship" // the related instance's key, `$RelationshipF` reverse set per target
  | "indexed" // not part of the key, `$IndexF` set per value (Popoto 1.x IndexedField)
  | "unique" // not part of the key, `$UniquF` set per value, uniqueness enforced (Popoto 1.x UniqueField)
  | "geo" // { latitude, longitude }, `$GeoF` geo set
  | "tag"; // a set of strings, `$TagF` set per tag and a `$TagPtr` pointer (Popoto 1.x TagField)

/** What a relationship field points at: a model class, a function returning one, or a model name. */
export type RelationshipTarget = string | (() => unknown) | { readonly modelName: string };

export type OnDelete = "nothing" | "cascade" | "setNull" | "protect";

/** The run-time description of a field, read by the model, the save planner and the query planner. */
export interface FieldSpec {
  readonly kind: FieldKind;
  /** Value type; a relationship stores its target's key as a string. */
  readonly type: FieldType;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
  /** A value, or a function called once per new instance. */
  readonly default: unknown;
  readonly maxLength: number | undefined;
  /** Sorted fields: partition field names, in the order their values are appended to the index key. */
  readonly partitionBy: readonly string[];
  /** Auto keys: number of hex characters generated (32 for a full UUID). */
  readonly autoLength: number;
  /** Auto keys: what is generated (docs/storage.md §3). */
  readonly autoKind: AutoKeyKind;
  /** Datetime fields: stamp the current instant on every save / on the first save. */
  readonly autoNow: boolean;
  readonly autoNowAdd: boolean;
  readonly target: RelationshipTarget | undefined;
  readonly onDelete: OnDelete;
  /** Relationships: a set of targets rather than one. */
  readonly many: boolean;
  /**
   * String value-indexed fields: keep the `$LexF` / `$LexRevF` indexes, so `__startswith`,
   * `__endswith` and `__contains` read an index instead of scanning every instance.
   */
  readonly lexIndex: boolean;
  /** The factory the user called, for messages ("SortedField cannot be null"). */
  readonly factory: string;
  /** The options object as given, so `Model()` can reject unknown or contradictory ones. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The option names the factory accepts, in the order messages list them (its `*_OPTIONS` table). */
  readonly accepts: readonly string[];
}

/**
 * Type-level facts about a field, carried by the phantom `~types` member. The model derives its
 * instance, `create()` input and filter types from these alone.
 */
export interface FieldConfig {
  /** The TypeScript value when not null. */
  readonly value: unknown;
  readonly nullable: boolean;
  /** May be left out of `create()`: nullable, defaulted or generated. */
  readonly optional: boolean;
  readonly kind: FieldKind;
  readonly type: FieldType;
}

/** A declared field. Create one with `Field()`, `KeyField()`, `SortedField()` and the other factories. */
export class FieldDef<TConfig extends FieldConfig = FieldConfig> {
  /** Phantom: exists only in types, never at run time. */
  declare readonly "~types"?: TConfig;
  /** @internal */
  readonly spec: FieldSpec;

  /** @internal */
  constructor(spec: FieldSpec) {
    this.spec = spec;
  }
}

/** A field definition of any configuration. */
export type AnyField = FieldDef<FieldConfig>;

/** Options every field accepts. */
export interface CommonOptions<TValue, TNull extends boolean> {
  /** Allow null (Popoto's `null=True`). Fields are required unless nullable or defaulted. */
  readonly null?: TNull | undefined;
  /** Default value, or a function called for each new instance (so objects are never shared). */
  readonly default?: TValue | (TNull extends true ? null : never) | (() => TValue) | undefined;
  /** Longest accepted string, in characters. */
  readonly maxLength?: number | undefined;
}

/**
 * Checks of a field's value beyond its type, run on every save before anything is written (all
 * problems of an instance reported together in one ValidationError). An option a type has no use
 * for is `never`, so `StringField({ min: 1 })` or `IntField({ pattern: /x/ })` does not compile;
 * `Model()` refuses them at run time as well (model/define-checks.ts).
 */
export interface ValueChecks<TType extends FieldType> {
  /** Smallest accepted value (inclusive); numeric, decimal, date, datetime and time fields. */
  readonly min?: (TType extends SortedType ? FieldTypeValues[TType] : never) | undefined;
  /** Largest accepted value (inclusive); numeric, decimal, date, datetime and time fields. */
  readonly max?: (TType extends SortedType ? FieldTypeValues[TType] : never) | undefined;
  /** A regular expression the whole string must match (anchor it: `/^[a-z-]+$/`); string fields. */
  readonly pattern?: (TType extends "string" ? RegExp : never) | undefined;
  /** The only values accepted; string, int, float, decimal and time fields. */
  readonly choices?: (TType extends ChoiceType ? readonly FieldTypeValues[TType][] : never) | undefined;
  /**
   * Your own check of a non-null value (already converted to the field's type): return a message
   * when it is invalid, `undefined` when it is fine. Runs only when the other checks passed.
   */
  readonly validate?: ((value: FieldTypeValues[TType]) => string | undefined) | undefined;
}

/** The names of `ValueChecks`, in message order. */
export const VALUE_CHECK_OPTIONS = {
  min: true,
  max: true,
  pattern: true,
  choices: true,
  validate: true,
} as const satisfies OptionTable<ValueChecks<FieldType>>;

/** The types a value-check option has a use for; undefined for an option that is not a check. */
export const checkTypes = (option: string): readonly FieldType[] | undefined =>
  option === "min" || option === "max"
    ? (Object.keys(SORTED_TYPES) as FieldType[])
    : option === "pattern"
      ? ["string"]
      : option === "choices"
        ? (Object.keys(CHOICE_TYPES) as FieldType[])
        : undefined;

/**
 * The option names of an options interface, one entry each: `satisfies OptionTable<TOptions>`
 * fails to compile when the table misses an option of the interface or names one it lacks, so
 * the names `Model()` accepts at run time cannot drift from the types.
 */
export type OptionTable<TOptions> = { readonly [K in keyof Required<TOptions>]: true };

/** The names of `CommonOptions`, in message order. */
export const COMMON_OPTIONS = {
  null: true,
  default: true,
  maxLength: true,
} as const satisfies OptionTable<CommonOptions<unknown, boolean>>;

export type DefaultGiven<TOptions> = TOptions extends { readonly default: infer D }
  ? undefined extends D
    ? false
    : true
  : false;
export type NullGiven<TOptions> = TOptions extends { readonly null: true } ? true : false;
export type TypeGiven<TOptions, TFallback extends FieldType> = TOptions extends {
  readonly type: infer T extends FieldType;
}
  ? T
  : TFallback;

/**
 * The config of a field built by a factory, from the options object the user passed (the reverse,
 * reading the config back from a field definition, is `ConfigOf` in model/value-types.ts).
 */
export type FactoryConfig<
  TKind extends FieldKind,
  TType extends FieldType,
  TOptions,
  TForceOptional extends boolean = false,
> = {
  readonly value: FieldTypeValues[TType];
  readonly nullable: NullGiven<TOptions>;
  readonly optional: TForceOptional extends true
    ? true
    : NullGiven<TOptions> extends true
      ? true
      : DefaultGiven<TOptions>;
  readonly kind: TKind;
  readonly type: TType;
};

interface SpecInput {
  kind: FieldKind;
  type: FieldType;
  factory: string;
  /** The factory's option table (see `OptionTable`). */
  accepts: object;
  options?: object | undefined;
  nullable?: boolean;
}

const partitionNames = (partition: unknown): readonly string[] =>
  partition === undefined
    ? []
    : typeof partition === "string"
      ? [partition]
      : Array.isArray(partition)
        ? partition
        : [String(partition)];

/** @internal Builds the run-time spec; definition errors are raised later by `Model()`, which knows the names. */
export const makeSpec = ({
  kind,
  type,
  factory,
  accepts,
  options: given,
  nullable,
}: SpecInput): FieldSpec => {
  // Every option is kept (as `options`) so Model() can reject unknown or contradictory ones with a clear message.
  const options: Readonly<Record<string, unknown>> = { ...given };
  return {
    kind,
    type,
    factory,
    nullable: nullable ?? options["null"] === true,
    hasDefault: options["default"] !== undefined,
    default: options["default"],
    maxLength: typeof options["maxLength"] === "number" ? options["maxLength"] : undefined,
    partitionBy: partitionNames(options["partitionBy"]),
    autoLength: typeof options["length"] === "number" ? options["length"] : 32,
    autoKind: (options["kind"] as AutoKeyKind | undefined) ?? "uuid",
    autoNow: options["autoNow"] === true,
    autoNowAdd: options["autoNowAdd"] === true,
    lexIndex: options["lexIndex"] === true,
    target: undefined,
    onDelete: "nothing",
    many: false,
    options,
    // A check the field's type has no use for (`min` on a string) is not accepted by this field.
    accepts: Object.keys(accepts).filter((name) => checkTypes(name)?.includes(type) ?? true),
  };
};
