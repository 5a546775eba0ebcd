/** `UniqueKeyField()`: a key field whose value no two instances may share. */
import {
  FieldDef,
  VALUE_CHECK_OPTIONS,
  makeSpec,
  type CommonOptions,
  type FactoryConfig,
  type OptionTable,
  type TypeGiven,
  type ValueChecks,
} from "./field.js";
import type { FieldTypeValues, KeyType } from "./field-type.js";

/** Options of `UniqueKeyField()`: never nullable. */
export interface UniqueKeyFieldOptions<TType extends KeyType>
  extends CommonOptions<FieldTypeValues[TType], false>, ValueChecks<TType> {
  readonly type?: TType | undefined;
  readonly null?: false | undefined;
  /** As `KeyField({ lexIndex })`. */
  readonly lexIndex?: boolean | undefined;
}

const UNIQUE_KEY_OPTIONS = {
  type: true,
  null: true,
  default: true,
  maxLength: true,
  lexIndex: true,
  ...VALUE_CHECK_OPTIONS,
} as const satisfies OptionTable<UniqueKeyFieldOptions<KeyType>>;

/**
 * A key field whose value no two instances may share, indexed in `$UniqueKeyF:Model:field:<value>`.
 * A save that would duplicate a value throws `UniqueViolationError` and writes nothing.
 */
export function UniqueKeyField<
  const TType extends KeyType = "string",
  const TOptions extends UniqueKeyFieldOptions<TType> = UniqueKeyFieldOptions<TType>,
>(
  options?: TOptions & UniqueKeyFieldOptions<TType>,
): FieldDef<FactoryConfig<"uniqueKey", TypeGiven<TOptions, "string">, TOptions>> {
  return new FieldDef(
    makeSpec({
      kind: "uniqueKey",
      type: options?.type ?? "string",
      factory: "UniqueKeyField",
      accepts: UNIQUE_KEY_OPTIONS,
      options,
    }),
  );
}
