/** `Field()` and its typed shortcuts (`IntField()`, `ListField()`, …): stored in the hash, not indexed. */
import {
  COMMON_OPTIONS,
  FieldDef,
  VALUE_CHECK_OPTIONS,
  makeSpec,
  type CommonOptions,
  type FactoryConfig,
  type OptionTable,
  type TypeGiven,
  type ValueChecks,
} from "./field.js";
import type { FieldType, FieldTypeValues } from "./field-type.js";

/** Options of `Field()`. */
export interface FieldOptions<TType extends FieldType, TNull extends boolean>
  extends CommonOptions<FieldTypeValues[TType], TNull>, ValueChecks<TType> {
  /** Value type; `"string"` when left out. */
  readonly type?: TType | undefined;
}

const FIELD_OPTIONS = {
  type: true,
  null: true,
  default: true,
  maxLength: true,
  ...VALUE_CHECK_OPTIONS,
} as const satisfies OptionTable<FieldOptions<FieldType, boolean>>;

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
): FieldDef<FactoryConfig<"plain", TypeGiven<TOptions, "string">, TOptions>> {
  return new FieldDef(
    makeSpec({
      kind: "plain",
      type: options?.type ?? "string",
      factory: "Field",
      accepts: FIELD_OPTIONS,
      options,
    }),
  );
}

type ShortcutOptions<TType extends FieldType, TNull extends boolean> = CommonOptions<
  FieldTypeValues[TType],
  TNull
> &
  ValueChecks<TType>;

// Each shortcut's table names the checks its type has a use for (ValueChecks types the rest `never`).
const SHORTCUT_OPTIONS = {
  ...COMMON_OPTIONS,
  ...VALUE_CHECK_OPTIONS,
} as const satisfies OptionTable<ShortcutOptions<FieldType, boolean>>;

const shortcut =
  <TType extends FieldType>(type: TType, factory: string) =>
  <
    const TNull extends boolean = false,
    const TOptions extends ShortcutOptions<TType, TNull> = ShortcutOptions<TType, TNull>,
  >(
    options?: TOptions & ShortcutOptions<TType, TNull>,
  ): FieldDef<FactoryConfig<"plain", TType, TOptions>> =>
    new FieldDef(makeSpec({ kind: "plain", type, factory, accepts: SHORTCUT_OPTIONS, options }));

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
