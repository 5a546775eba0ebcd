/** `SortedField()` and `SortedKeyField()`: numeric fields indexed in a sorted set, for ranges and order. */
import {
  FieldDef,
  makeSpec,
  type CommonOptions,
  type FactoryConfig,
  type OptionTable,
  type TypeGiven,
  type ValueChecks,
} from "./field.js";
import type { FieldTypeValues, SortedType } from "./field-type.js";

/** Options of `SortedField()` and `SortedKeyField()`. Sorted fields cannot be null. */
export interface SortedFieldOptions<TType extends SortedType>
  extends CommonOptions<FieldTypeValues[TType], false>, ValueChecks<TType> {
  /** Numeric value type; `"float"` when left out, as in Popoto. */
  readonly type?: TType | undefined;
  /** Keep one sorted set per value of these fields; queries must then give them by equality. */
  readonly partitionBy?: string | readonly string[] | undefined;
  readonly null?: false | undefined;
}

// maxLength is in CommonOptions but was never accepted by sorted fields (numbers have no length);
// pattern is typed `never` for every sorted type (ValueChecks), so the table leaves it out too.
const SORTED_OPTIONS = {
  type: true,
  null: true,
  default: true,
  partitionBy: true,
  min: true,
  max: true,
  choices: true,
  validate: true,
} as const satisfies Omit<OptionTable<SortedFieldOptions<SortedType>>, "maxLength" | "pattern">;

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
  FactoryConfig<"sorted", TypeGiven<TOptions, "float">, TOptions> & {
    readonly partition: PartitionOf<TOptions>;
  }
> {
  return new FieldDef(
    makeSpec({
      kind: "sorted",
      type: options?.type ?? "float",
      factory: "SortedField",
      accepts: SORTED_OPTIONS,
      options,
    }),
  );
}

/** A key field that is also sorted: indexed only in `$SortedKeyF:Model:field[:<partition>…]`. */
export function SortedKeyField<
  const TType extends SortedType = "float",
  const TOptions extends SortedFieldOptions<TType> = SortedFieldOptions<TType>,
>(
  options?: TOptions & SortedFieldOptions<TType>,
): FieldDef<
  FactoryConfig<"sortedKey", TypeGiven<TOptions, "float">, TOptions> & {
    readonly partition: PartitionOf<TOptions>;
  }
> {
  return new FieldDef(
    makeSpec({
      kind: "sortedKey",
      type: options?.type ?? "float",
      factory: "SortedKeyField",
      accepts: SORTED_OPTIONS,
      options,
    }),
  );
}
