/**
 * Lookup values as the planner needs them: coerced to the field's type the way Popoto renders
 * stored values, or checked to be a list, a string or a boolean. A bad value is a `QueryError`
 * naming the lookup, thrown before any plan (or Redis call) is made.
 */
import { coerceValue } from "../../encoding/coerce.js";
import { QueryError, formatValue } from "../../errors.js";
import type { FieldSpec } from "../../fields/field.js";
import type { ModelMeta } from "../../model/meta.js";
import type { Lookup } from "../lookup.js";

/** One lookup value coerced to the field's type, as it is stored. */
export const queryValue = (meta: ModelMeta, spec: FieldSpec, lookup: Lookup, value: unknown): unknown => {
  // Popoto renders lookup values like stored values, so `str_key: 1` matches the stored "1".
  if (spec.type === "string" && (typeof value === "number" || typeof value === "boolean"))
    return typeof value === "boolean" ? (value ? "True" : "False") : String(value);
  const result = coerceValue(spec.type, value);
  if (!result.ok)
    throw new QueryError(
      meta.name,
      `${lookup.source} expects ${result.expected}, received ${formatValue(value)}.`,
      lookup.field,
    );
  return result.value;
};

/** The lookup's value, which must be an array (`__in`, `__any`, `__all`). */
export const listValue = (meta: ModelMeta, lookup: Lookup): readonly unknown[] => {
  if (!Array.isArray(lookup.value))
    throw new QueryError(
      meta.name,
      `${lookup.source} expects an array of values, received ${formatValue(lookup.value)}.`,
      lookup.field,
    );
  return lookup.value;
};

/** The lookup's value, which must be a string (`__startswith`, `__endswith`, `__contains`). */
export const stringValue = (meta: ModelMeta, lookup: Lookup): string => {
  if (typeof lookup.value !== "string")
    throw new QueryError(
      meta.name,
      `${lookup.source} expects a string, received ${formatValue(lookup.value)}.`,
      lookup.field,
    );
  return lookup.value;
};

/** The lookup's value, which must be a boolean (`__isnull`). */
export const booleanValue = (meta: ModelMeta, lookup: Lookup): boolean => {
  if (typeof lookup.value !== "boolean")
    throw new QueryError(
      meta.name,
      `${lookup.source} must be true or false, received ${formatValue(lookup.value)}.`,
      lookup.field,
    );
  return lookup.value;
};
