/**
 * `KeyField()`: a field whose value is part of the instance key. Also the shared factory of the
 * fields indexed by value (`IndexedField`, `UniqueField` in indexed.ts).
 */
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

/** Options of `KeyField()`. */
export interface KeyFieldOptions<TType extends KeyType, TNull extends boolean>
  extends CommonOptions<FieldTypeValues[TType], TNull>, ValueChecks<TType> {
  /** Key value type; `"string"` when left out. Lists, dicts and other containers cannot be keys. */
  readonly type?: TType | undefined;
  /**
   * String fields: keep lex indexes (`$LexF`, `$LexRevF`, about 280 bytes of Redis memory per
   * instance) so `__startswith`, `__endswith` and `__contains` cost the size of the answer, not
   * of the model. Off by default, as in Python Popoto: those lookups then scan every instance.
   */
  readonly lexIndex?: boolean | undefined;
}

/** The option names of `KeyField()`, `IndexedField()` and `UniqueField()`. */
export const KEY_FIELD_OPTIONS = {
  type: true,
  null: true,
  default: true,
  maxLength: true,
  lexIndex: true,
  ...VALUE_CHECK_OPTIONS,
} as const satisfies OptionTable<KeyFieldOptions<KeyType, boolean>>;

/**
 * Makes the factory of a kind of field indexed by value (`KeyField`, `IndexedField`, `UniqueField`):
 * the same options and typing, a different index.
 */
export const valueIndexed =
  <TKind extends "key" | "indexed" | "unique">(kind: TKind, factory: string) =>
  <
    const TType extends KeyType = "string",
    const TNull extends boolean = false,
    const TOptions extends KeyFieldOptions<TType, TNull> = KeyFieldOptions<TType, TNull>,
  >(
    options?: TOptions & KeyFieldOptions<TType, TNull>,
  ): FieldDef<FactoryConfig<TKind, TypeGiven<TOptions, "string">, TOptions>> =>
    new FieldDef(
      makeSpec({ kind, type: options?.type ?? "string", factory, accepts: KEY_FIELD_OPTIONS, options }),
    );

/**
 * A field whose value is part of the instance key, indexed in `$KeyF:Model:field:<value>`.
 * String key fields also answer `__startswith`, `__endswith` and `__contains`: by scanning every
 * instance, or from lex indexes with `lexIndex: true` (docs/storage.md).
 * @example title: KeyField() // Book:The Hobbit, SADD $KeyF:Book:title:The Hobbit
 */
export const KeyField = valueIndexed("key", "KeyField");
