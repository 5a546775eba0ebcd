import type { FieldType, FieldTypeValues, KeyType, SortedType } from "./field-type.js";

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
  | "geo"; // { latitude, longitude }, `$GeoF` geo set

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

type DefaultGiven<TOptions> = TOptions extends { readonly default: infer D }
  ? undefined extends D
    ? false
    : true
  : false;
type NullGiven<TOptions> = TOptions extends { readonly null: true } ? true : false;
type TypeGiven<TOptions, TFallback extends FieldType> = TOptions extends {
  readonly type: infer T extends FieldType;
}
  ? T
  : TFallback;

/** The config of a field built by a factory, from the options object the user passed. */
export type ConfigOf<
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
  options?: object | undefined;
  nullable?: boolean;
}

/** @internal Builds the run-time spec; definition errors are raised later by `Model()`, which knows the names. */
export const makeSpec = ({ kind, type, factory, options: given = {}, nullable }: SpecInput): FieldSpec => {
  const options = given as Record<string, unknown>;
  const partition = options["partitionBy"];
  return {
    kind,
    type,
    factory,
    nullable: nullable ?? options["null"] === true,
    hasDefault: options["default"] !== undefined,
    default: options["default"],
    maxLength: typeof options["maxLength"] === "number" ? options["maxLength"] : undefined,
    partitionBy:
      partition === undefined
        ? []
        : typeof partition === "string"
          ? [partition]
          : Array.isArray(partition)
            ? (partition as string[])
            : [String(partition)],
    autoLength: typeof options["length"] === "number" ? options["length"] : 32,
    autoNow: options["autoNow"] === true,
    autoNowAdd: options["autoNowAdd"] === true,
    lexIndex: options["lexIndex"] === true,
    target: undefined,
    onDelete: "nothing",
    many: false,
    // Remember every option so Model() can reject unknown or contradictory ones with a clear message.
    ...{ options },
  };
};

/** @internal The options object as given, for definition checks. */
export const givenOptions = (spec: FieldSpec): Record<string, unknown> =>
  (spec as FieldSpec & { options?: Record<string, unknown> }).options ?? {};

// ---------------------------------------------------------------------------------------------
// Plain fields

/** Options of `Field()`. */
export interface FieldOptions<TType extends FieldType, TNull extends boolean> extends CommonOptions<
  FieldTypeValues[TType],
  TNull
> {
  /** Value type; `"string"` when left out. */
  readonly type?: TType | undefined;
}

/**
 * A field stored in the hash and not indexed.
 * @example genre: Field({ type: "string", null: true }) // HSET Book:… genre <msgpack>
 */
export function Field<
  const TType extends FieldType = "string",
  const TNull extends boolean = false,
  const TOptions extends FieldOptions<TType, TNull> = FieldOptions<TType, TNull>,
>(
  options?: TOptions & FieldOptions<TType, TNull>,
): FieldDef<ConfigOf<"plain", TypeGiven<TOptions, "string">, TOptions>> {
  return new FieldDef(
    makeSpec({ kind: "plain", type: options?.type ?? "string", factory: "Field", options }),
  );
}

type ShortcutOptions<TType extends FieldType, TNull extends boolean> = CommonOptions<
  FieldTypeValues[TType],
  TNull
>;

const shortcut =
  <TType extends FieldType>(type: TType, factory: string) =>
  <
    const TNull extends boolean = false,
    const TOptions extends ShortcutOptions<TType, TNull> = ShortcutOptions<TType, TNull>,
  >(
    options?: TOptions & ShortcutOptions<TType, TNull>,
  ): FieldDef<ConfigOf<"plain", TType, TOptions>> =>
    new FieldDef(makeSpec({ kind: "plain", type, factory, options }));

/** `Field({ type: "int" })`: a safe integer. */
export const IntField = shortcut("int", "IntField");
/** `Field({ type: "float" })`: a finite number, always stored as float64. */
export const FloatField = shortcut("float", "FloatField");
/** `Field({ type: "string" })`. */
export const StringField = shortcut("string", "StringField");
/** `Field({ type: "boolean" })`. */
export const BooleanField = shortcut("boolean", "BooleanField");
/** `Field({ type: "bytes" })`: a Uint8Array (a Buffer is one). */
export const BytesField = shortcut("bytes", "BytesField");
/** `Field({ type: "list" })`: an array of msgpack-encodable values. */
export const ListField = shortcut("list", "ListField");
/** `Field({ type: "dict" })`: a plain object with string keys. */
export const DictField = shortcut("dict", "DictField");
/** `Field({ type: "set" })`: a Set, stored as Popoto's tagged set. */
export const SetField = shortcut("set", "SetField");
/** `Field({ type: "tuple" })`: an array, stored as Popoto's tagged tuple. */
export const TupleField = shortcut("tuple", "TupleField");
/** `Field({ type: "decimal" })`: exact decimal text such as "1.10". */
export const DecimalField = shortcut("decimal", "DecimalField");
/** `Field({ type: "date" })`: a Date at 00:00 UTC. */
export const DateField = shortcut("date", "DateField");
/** `Field({ type: "time" })`: "HH:MM:SS.ffffff". */
export const TimeField = shortcut("time", "TimeField");

/** Options of `DatetimeField()`. */
export interface DatetimeOptions<TNull extends boolean> extends CommonOptions<Date, TNull> {
  /** Set to the current instant on every save. */
  readonly autoNow?: boolean | undefined;
  /** Set to the current instant on save when empty. */
  readonly autoNowAdd?: boolean | undefined;
}

type AutoStamped<TOptions> = TOptions extends { readonly autoNow: true }
  ? true
  : TOptions extends { readonly autoNowAdd: true }
    ? true
    : false;

/**
 * `Field({ type: "datetime" })` with Popoto's `autoNow` / `autoNowAdd`.
 * @example createdAt: DatetimeField({ autoNowAdd: true })
 */
export function DatetimeField<
  const TNull extends boolean = false,
  const TOptions extends DatetimeOptions<TNull> = DatetimeOptions<TNull>,
>(
  options?: TOptions & DatetimeOptions<TNull>,
): FieldDef<ConfigOf<"plain", "datetime", TOptions, AutoStamped<TOptions>>> {
  return new FieldDef(makeSpec({ kind: "plain", type: "datetime", factory: "DatetimeField", options }));
}

// ---------------------------------------------------------------------------------------------
// Key fields

/** Options of `KeyField()`. */
export interface KeyFieldOptions<TType extends KeyType, TNull extends boolean> extends CommonOptions<
  FieldTypeValues[TType],
  TNull
> {
  /** Key value type; `"string"` when left out. Lists, dicts and other containers cannot be keys. */
  readonly type?: TType | undefined;
  /**
   * String fields: keep lex indexes (`$LexF`, `$LexRevF`, about 280 bytes of Redis memory per
   * instance) so `__startswith`, `__endswith` and `__contains` cost the size of the answer, not
   * of the model. Off by default, as in Python Popoto: those lookups then scan every instance.
   */
  readonly lexIndex?: boolean | undefined;
}

/**
 * Makes the factory of a kind of field indexed by value (`KeyField`, `IndexedField`, `UniqueField`):
 * the same options and typing, a different index.
 */
const valueIndexed =
  <TKind extends "key" | "indexed" | "unique">(kind: TKind, factory: string) =>
  <
    const TType extends KeyType = "string",
    const TNull extends boolean = false,
    const TOptions extends KeyFieldOptions<TType, TNull> = KeyFieldOptions<TType, TNull>,
  >(
    options?: TOptions & KeyFieldOptions<TType, TNull>,
  ): FieldDef<ConfigOf<TKind, TypeGiven<TOptions, "string">, TOptions>> =>
    new FieldDef(makeSpec({ kind, type: options?.type ?? "string", factory, options }));

/**
 * A field whose value is part of the instance key, indexed in `$KeyF:Model:field:<value>`.
 * String key fields also answer `__startswith`, `__endswith` and `__contains`: by scanning every
 * instance, or from lex indexes with `lexIndex: true` (docs/storage.md).
 * @example title: KeyField() // Book:The Hobbit, SADD $KeyF:Book:title:The Hobbit
 */
export const KeyField = valueIndexed("key", "KeyField");

/** Options of `UniqueKeyField()`: never nullable. */
export interface UniqueKeyFieldOptions<TType extends KeyType> extends CommonOptions<
  FieldTypeValues[TType],
  false
> {
  readonly type?: TType | undefined;
  readonly null?: false | undefined;
  /** As `KeyField({ lexIndex })`. */
  readonly lexIndex?: boolean | undefined;
}

/**
 * A key field whose value no two instances may share, indexed in `$UniqueKeyF:Model:field:<value>`.
 * A save that would duplicate a value throws `UniqueViolationError` and writes nothing.
 */
export function UniqueKeyField<
  const TType extends KeyType = "string",
  const TOptions extends UniqueKeyFieldOptions<TType> = UniqueKeyFieldOptions<TType>,
>(
  options?: TOptions & UniqueKeyFieldOptions<TType>,
): FieldDef<ConfigOf<"uniqueKey", TypeGiven<TOptions, "string">, TOptions>> {
  return new FieldDef(
    makeSpec({ kind: "uniqueKey", type: options?.type ?? "string", factory: "UniqueKeyField", options }),
  );
}

/** Options of `AutoKeyField()`. */
export interface AutoKeyFieldOptions {
  /** Number of lowercase hex characters to keep from a random UUID (1 to 32; default 32). */
  readonly length?: number | undefined;
  readonly null?: false | undefined;
}

/**
 * A unique key generated when the instance is constructed: random lowercase hex, no index set.
 * A model without any key field gets a hidden `_auto_key` of this kind.
 */
export function AutoKeyField(
  options?: AutoKeyFieldOptions,
): FieldDef<{ value: string; nullable: false; optional: true; kind: "autoKey"; type: "string" }> {
  return new FieldDef(
    makeSpec({ kind: "autoKey", type: "string", factory: "AutoKeyField", options: { ...options } }),
  );
}

// ---------------------------------------------------------------------------------------------
// Sorted fields

/** Options of `SortedField()` and `SortedKeyField()`. Sorted fields cannot be null. */
export interface SortedFieldOptions<TType extends SortedType> extends CommonOptions<
  FieldTypeValues[TType],
  false
> {
  /** Numeric value type; `"float"` when left out, as in Popoto. */
  readonly type?: TType | undefined;
  /** Keep one sorted set per value of these fields; queries must then give them by equality. */
  readonly partitionBy?: string | readonly string[] | undefined;
  readonly null?: false | undefined;
}

/** The names a sorted field is partitioned by, from its options. */
export type PartitionOf<TOptions> = TOptions extends { readonly partitionBy: infer P }
  ? P extends string
    ? P
    : P extends readonly (infer E extends string)[]
      ? E
      : never
  : never;

/**
 * A field indexed in the sorted set `$SortF:Model:field[:<partition>…]`, for ranges and ordering.
 * @example pages: SortedField({ type: "int" }) // ZADD $SortF:Book:pages 310 "Book:The Hobbit"
 */
export function SortedField<
  const TType extends SortedType = "float",
  const TOptions extends SortedFieldOptions<TType> = SortedFieldOptions<TType>,
>(
  options?: TOptions & SortedFieldOptions<TType>,
): FieldDef<
  ConfigOf<"sorted", TypeGiven<TOptions, "float">, TOptions> & { readonly partition: PartitionOf<TOptions> }
> {
  return new FieldDef(
    makeSpec({ kind: "sorted", type: options?.type ?? "float", factory: "SortedField", options }),
  );
}

/** A key field that is also sorted: indexed only in `$SortedKeyF:Model:field[:<partition>…]`. */
export function SortedKeyField<
  const TType extends SortedType = "float",
  const TOptions extends SortedFieldOptions<TType> = SortedFieldOptions<TType>,
>(
  options?: TOptions & SortedFieldOptions<TType>,
): FieldDef<
  ConfigOf<"sortedKey", TypeGiven<TOptions, "float">, TOptions> & {
    readonly partition: PartitionOf<TOptions>;
  }
> {
  return new FieldDef(
    makeSpec({ kind: "sortedKey", type: options?.type ?? "float", factory: "SortedKeyField", options }),
  );
}

// ---------------------------------------------------------------------------------------------
// Indexed fields outside the key (Popoto 1.x)

/** Options of `IndexedField()` and `UniqueField()`: those of `KeyField()`. */
export type IndexedFieldOptions<TType extends KeyType, TNull extends boolean> = KeyFieldOptions<TType, TNull>;

/**
 * A field indexed by value without being part of the instance key, in `$IndexF:Model:field:<value>`:
 * filterable by exact value, `__in`, `__isnull` and (strings) `__startswith`/`__endswith`/`__contains`,
 * and changeable without moving the instance.
 * @example status: IndexedField() // SADD $IndexF:Order:status:paid Order:42
 */
export const IndexedField = valueIndexed("indexed", "IndexedField");

/**
 * An indexed field whose non-null values no two instances may share, in `$UniquF:Model:field:<value>`.
 * A save that would duplicate one throws `UniqueViolationError` and writes nothing.
 * @example email: UniqueField() // SADD $UniquF:User:email:ann@example.com User:…
 */
export const UniqueField = valueIndexed("unique", "UniqueField");

// ---------------------------------------------------------------------------------------------
// Geo

/** A point on Earth, in degrees. */
export interface GeoPoint {
  readonly latitude: number;
  readonly longitude: number;
}

/** Options of `GeoField()`. */
export interface GeoFieldOptions<TNull extends boolean> {
  /** Allow no location (default false). */
  readonly null?: TNull | undefined;
  readonly default?: GeoPoint | (TNull extends true ? null : never) | (() => GeoPoint) | undefined;
}

/**
 * A location `{ latitude, longitude }`, indexed in the geo set `$GeoF:Model:field` so a filter can
 * find instances within a radius (`location__within`), nearest first. Latitude and longitude 0 are
 * real places.
 * @example location: GeoField() // GEOADD $GeoF:Place:location 12.5 41.9 Place:Rome
 */
export function GeoField<
  const TNull extends boolean = false,
  const TOptions extends GeoFieldOptions<TNull> = GeoFieldOptions<TNull>,
>(
  options?: TOptions & GeoFieldOptions<TNull>,
): FieldDef<{
  readonly value: GeoPoint;
  readonly nullable: NullGiven<TOptions>;
  readonly optional: NullGiven<TOptions> extends true ? true : DefaultGiven<TOptions>;
  readonly kind: "geo";
  readonly type: "tuple";
}> {
  return new FieldDef(makeSpec({ kind: "geo", type: "tuple", factory: "GeoField", options }));
}
