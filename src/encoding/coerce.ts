/**
 * Input validation with lossless coercion to the canonical value of a field type (see
 * `FieldTypeValues`). Popoto converts values with Python constructors (`int("5")`, `str(1)`),
 * and a failed conversion sometimes escapes as a raw Python error; popoto instead accepts only
 * conversions that lose nothing and reports everything else as a validation issue.
 */
import type { FieldType } from "../fields/field-type.js";
import { PLAIN_DECIMAL, decimalFromNumber, toPlainDecimal } from "./decimal.js";
import {
  isPythonRangeDate,
  isUtcMidnight,
  parseDatetimeText,
  parseIsoDate,
  parseTimeText,
} from "./temporal.js";

/** A lone UTF-16 surrogate has no UTF-8 form (String.prototype.isWellFormed, spelled for ES2022). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed = (text: string): boolean => !LONE_SURROGATE.test(text);

/** Deepest nesting of lists and dicts a value may have (the msgpack encoder's own limit is 100). */
export const MAX_NESTING = 64;

/**
 * Whether a container holds only what msgpack (and Python) can hold: no functions, symbols, Maps,
 * class instances or cycles, well-formed strings, and no `__proto__` key (the decoder refuses it,
 * so such a value could be written but never read back).
 */
const storable = (value: unknown, seen = new Set<object>(), depth = 0): boolean => {
  if (value === null || value === undefined) return true;
  // Deeper values are refused before any recursion could exhaust the stack (untyped JSON input).
  if (depth > MAX_NESTING) return false;
  switch (typeof value) {
    case "string":
      return isWellFormed(value);
    case "number":
    case "boolean":
      return true;
    case "bigint":
      return value >= -(2n ** 63n) && value < 2n ** 64n;
    case "object": {
      if (value instanceof Date) return !Number.isNaN(value.getTime());
      if (value instanceof Uint8Array) return true;
      if (seen.has(value)) return false;
      seen.add(value);
      let ok: boolean;
      if (Array.isArray(value)) ok = value.every((item) => storable(item, seen, depth + 1));
      else if (value instanceof Set) ok = [...value].every((item) => storable(item, seen, depth + 1));
      else if (isPlainObject(value))
        ok =
          !Object.hasOwn(value, "__proto__") &&
          Object.values(value).every((item) => storable(item, seen, depth + 1));
      else ok = false;
      seen.delete(value);
      return ok;
    }
    default:
      return false;
  }
};

export type CoerceResult = { ok: true; value: unknown } | { ok: false; expected: string };

/** What each type accepts, phrased for a validation message. */
export const EXPECTED: Readonly<Record<FieldType, string>> = {
  string: "string",
  int: "int (a safe integer)",
  float: "float (a finite number)",
  boolean: "boolean",
  bytes: "bytes (a Uint8Array or Buffer)",
  list: "list (an array, nested at most 64 levels)",
  dict: "dict (a plain object, nested at most 64 levels)",
  set: "set (a Set or an array, nested at most 64 levels)",
  tuple: "tuple (an array, nested at most 64 levels)",
  decimal: 'decimal (a string like "1.10", or a finite number)',
  date: 'date (a Date at 00:00 UTC, or "YYYY-MM-DD")',
  datetime: "datetime (a Date, or an ISO 8601 string with Z or an offset)",
  time: 'time ("HH:MM", "HH:MM:SS" or "HH:MM:SS.ffffff")',
};

const ok = (value: unknown): CoerceResult => ({ ok: true, value });

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/** The canonical value, or undefined when the value is not accepted. */
const coerce = (type: FieldType, value: unknown): unknown => {
  switch (type) {
    case "string":
      // A lone surrogate cannot be written as UTF-8: it would be stored as U+FFFD and collide.
      return typeof value === "string" && isWellFormed(value) ? value : undefined;
    case "int":
      if (typeof value === "number") return Number.isSafeInteger(value) ? value : undefined;
      if (typeof value === "bigint") {
        const n = Number(value);
        return Number.isSafeInteger(n) ? n : undefined;
      }
      return undefined;
    case "float":
      return typeof value === "number" && Number.isFinite(value) ? value : undefined;
    case "boolean":
      return typeof value === "boolean" ? value : undefined;
    case "bytes":
      return value instanceof Uint8Array ? value : undefined;
    case "list":
    case "tuple":
      return Array.isArray(value) && storable(value) ? value : undefined;
    case "dict":
      return isPlainObject(value) && storable(value) ? value : undefined;
    case "set":
      if (value instanceof Set) return storable([...value]) ? value : undefined;
      return Array.isArray(value) && storable(value) ? new Set(value) : undefined;
    case "decimal":
      // Leading zeros are dropped ("007.50" → "7.50") so the key part is Python's str(Decimal).
      if (typeof value === "string")
        return PLAIN_DECIMAL.test(value) ? (toPlainDecimal(value) ?? undefined) : undefined;
      return typeof value === "number" && Number.isFinite(value) ? decimalFromNumber(value) : undefined;
    case "date":
      // A Python date has no time of day: a Date must sit exactly on a UTC midnight.
      if (value instanceof Date) return isPythonRangeDate(value) && isUtcMidnight(value) ? value : undefined;
      return typeof value === "string" ? (parseIsoDate(value) ?? undefined) : undefined;
    case "datetime":
      // Python's range is years 1-9999; a string must name its offset to be one instant.
      if (value instanceof Date) return isPythonRangeDate(value) ? value : undefined;
      return typeof value === "string" ? (parseDatetimeText(value, true) ?? undefined) : undefined;
    case "time":
      return typeof value === "string" ? (parseTimeText(value) ?? undefined) : undefined;
  }
};

/**
 * Validates a non-null value for a field type and returns its canonical value, or what the type
 * expects. Nullability is the caller's concern: null and undefined are never passed here.
 */
export const coerceValue = (type: FieldType, value: unknown): CoerceResult => {
  const canonical = coerce(type, value);
  return canonical === undefined ? { ok: false, expected: EXPECTED[type] } : ok(canonical);
};
