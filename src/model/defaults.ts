import { newAutoKey } from "../keys/ids.js";
import { subMillisecondMicros, withMicros } from "../encoding/temporal.js";
import type { FieldSpec } from "../fields/field.js";

const copyDefault = (value: unknown): unknown => {
  if (value instanceof Date) return withMicros(new Date(value.getTime()), subMillisecondMicros(value));
  if (value instanceof Set) return new Set(value);
  if (Array.isArray(value) || (value !== null && typeof value === "object" && !(value instanceof Uint8Array)))
    return structuredClone(value);
  return value;
};

/** A new instance's value of a field: a fresh auto key, the default, or null. */
export const initialValue = (spec: FieldSpec): unknown => {
  if (spec.kind === "autoKey") return newAutoKey(spec.autoKind, spec.autoLength);
  if (!spec.hasDefault) return null;
  // A function default is called per instance, and a literal one copied, so instances never share one object.
  return typeof spec.default === "function" ? (spec.default as () => unknown)() : copyDefault(spec.default);
};
