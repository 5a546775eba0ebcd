/** `IndexedField()` and `UniqueField()`: indexed by value outside the instance key (Popoto 1.x). */
import { valueIndexed, type KeyFieldOptions } from "./key.js";
import type { KeyType } from "./field-type.js";

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
