/**
 * Values as key parts (storage spec §2). Popoto builds a key part with Python's `str()` of the
 * value, so `True`, `1.0` and `None` must be spelled the Python way; JS `String()` would give
 * `true`, `1` and `null` and land on different keys. Parts returned here are not yet escaped.
 */
import type { KeyType } from "../fields/field-type.js";
import { PLAIN_DECIMAL, pythonDecimalStr, toPlainDecimal } from "../encoding/decimal.js";
import {
  formatDatetimeKey,
  formatIsoDate,
  parseDatetimeText,
  parseIsoDate,
  parseTimeText,
} from "../encoding/temporal.js";

/** The part for a null key value. */
export const NONE_PART = "None";

/**
 * Python `repr(float)` (also its `str()`): the shortest digits that round-trip (JS picks the same
 * digits), written as `1.0`, `0.1`, `-0.0`, and in scientific notation `1e-05`, `1.5e+16` when
 * the decimal exponent is below -4 or at least 16. The exponent has a sign and at least two digits.
 */
export const pythonFloatRepr = (value: number): string => {
  if (!Number.isFinite(value)) throw new RangeError(`float key part must be finite, got ${value}`);
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa = "", exponentText = "0"] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? "-" : "+";
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  // In this range JS writes plain notation too (it switches only below 1e-6 or from 1e21).
  const plain = String(value);
  return plain.includes(".") ? plain : `${plain}.0`;
};

const describe = (value: unknown): string =>
  value instanceof Date ? "Date" : value === null ? "null" : typeof value;

const wrongValue = (type: KeyType, value: unknown): TypeError =>
  new TypeError(`cannot render ${describe(value)} as a ${type} key part`);

/**
 * The key part for a canonical value of the given type (see `FieldTypeValues`), or `None` for
 * null/undefined. Throws a TypeError when the value is not of the type's canonical form.
 */
export const toKeyPart = (type: KeyType, value: unknown): string => {
  if (value === null || value === undefined) return NONE_PART;
  switch (type) {
    case "string":
      if (typeof value === "string") return value;
      break;
    case "int":
      if (typeof value === "number" && Number.isSafeInteger(value)) return String(value);
      break;
    case "float":
      if (typeof value === "number" && Number.isFinite(value)) return pythonFloatRepr(value);
      break;
    case "boolean":
      if (typeof value === "boolean") return value ? "True" : "False";
      break;
    case "decimal":
      // Popoto uses str(Decimal), which is the text itself except for tiny values ("1E-7").
      if (typeof value === "string" && PLAIN_DECIMAL.test(value)) return pythonDecimalStr(value);
      break;
    case "date":
      if (value instanceof Date && !Number.isNaN(value.getTime())) return formatIsoDate(value);
      break;
    case "datetime":
      if (value instanceof Date && !Number.isNaN(value.getTime())) return formatDatetimeKey(value);
      break;
    case "time":
      // Python str(time) leaves the fraction out when the microseconds are 0.
      if (typeof value === "string" && parseTimeText(value) === value) {
        return value.endsWith(".000000") ? value.slice(0, 8) : value;
      }
      break;
  }
  throw wrongValue(type, value);
};

const badPart = (type: KeyType, part: string): Error =>
  new Error(`key part ${JSON.stringify(part)} is not a valid ${type}`);

const INT_PART = /^-?\d+$/;
const FLOAT_PART = /^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * The canonical value for an (already unescaped) key part; the inverse of `toKeyPart`.
 *
 * `None` always gives null. This repeats a Popoto collision: a string key field holding the text
 * "None" and one holding null render the same part, so they share an instance key and an index
 * set, and a string "None" read back from a key comes out as null.
 *
 * Throws a plain Error for a part that is not a value of the type (including Python's `inf` and
 * `nan`, which popoto never holds).
 */
export const fromKeyPart = (type: KeyType, part: string): unknown => {
  if (part === NONE_PART) return null;
  switch (type) {
    case "string":
      return part;
    case "int": {
      const n = Number(part);
      if (INT_PART.test(part) && Number.isSafeInteger(n)) return n;
      break;
    }
    case "float": {
      const n = Number(part);
      if (FLOAT_PART.test(part) && Number.isFinite(n)) return n;
      break;
    }
    case "boolean":
      if (part === "True") return true;
      if (part === "False") return false;
      break;
    case "decimal": {
      // Python may have written an exponent ("1E-7"); the value is held as plain text.
      const plain = toPlainDecimal(part);
      if (plain !== null) return plain;
      break;
    }
    case "date": {
      const date = parseIsoDate(part);
      if (date) return date;
      break;
    }
    case "datetime": {
      // Popoto 1.x writes `…ffffffZ`; 0.8.3 wrote str(datetime): `YYYY-MM-DD HH:MM:SS[.ffffff][+00:00]`.
      const date = parseDatetimeText(part);
      if (date) return date;
      break;
    }
    case "time": {
      const time = parseTimeText(part);
      if (time !== null) return time;
      break;
    }
  }
  throw badPart(type, part);
};

/**
 * Key parts Popoto 0.8.3 wrote for a value where current Popoto (1.x, and popoto) writes another
 * (docs/storage.md §9), not yet escaped: a datetime as `str(datetime)` of the naive UTC wall clock
 * (`2020-01-02 03:04:05.678901`, no fraction when it is 0) and of an aware one (`…+00:00`).
 */
export const legacyKeyParts = (type: KeyType, value: unknown): string[] => {
  if (type !== "datetime" || !(value instanceof Date) || Number.isNaN(value.getTime())) return [];
  const canonical = formatDatetimeKey(value); // YYYY-MM-DDTHH:MM:SS.ffffffZ
  const wall = `${canonical.slice(0, 10)} ${canonical.slice(11, 19)}`;
  const fraction = canonical.slice(19, 26); // .ffffff
  const naive = fraction === ".000000" ? wall : `${wall}${fraction}`;
  return [naive, `${naive}+00:00`];
};
