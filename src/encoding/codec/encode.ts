/** Field values and pub/sub messages to msgpack bytes, as Python Popoto writes them (wire.ts has the tagged maps). */
import { Encoder } from "@msgpack/msgpack";
import type { FieldType } from "../../fields/field-type.js";
import { PLAIN_DECIMAL, pythonDecimalStr } from "../decimal.js";
import { formatCompactDate, formatLegacyDatetime, isPythonRangeDate, parseTimeText } from "../temporal.js";
import { tagged } from "./wire.js";

/*
 * One encoder per configuration, reused: building one allocates a 2 KiB buffer.
 *
 * `useBigInt64` makes the encoder write a bigint as uint64 (0xcf) when positive and int64 (0xd3)
 * when negative, which is what Python writes for an int beyond 32 bits. The same option makes it
 * write a plain number beyond 32 bits as a float, so `toWire` turns such integers into bigints.
 */
const encoder = new Encoder({ useBigInt64: true });
/** Popoto stores a float field as float64 even when it is integral (`1.0` → `cb 3f f0 …`). */
const floatEncoder = new Encoder({ forceIntegerToFloat: true });

/*
 * ioredis sends an argument as binary only when it is a Buffer (a plain Uint8Array would be sent
 * as its `toString()`), so results are Buffer views over the encoded bytes; Buffer is a Uint8Array.
 */
const asBuffer = (bytes: Uint8Array): Uint8Array =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const INT32_MIN = -0x8000_0000;
const UINT32_MAX = 0xffff_ffff;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** An integer as the encoder must receive it to write Python's smallest int format. */
const wireInt = (value: number): number | bigint =>
  value > UINT32_MAX || value < INT32_MIN ? BigInt(value) : value;

const wireBigInt = (value: bigint): number | bigint => {
  if (value < INT64_MIN || value > UINT64_MAX) throw new RangeError(`${value}n does not fit in 64 bits`);
  return value >= INT32_MIN && value <= UINT32_MAX ? Number(value) : value;
};

const isPlainObject = (value: object): value is Record<string, unknown> => {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * A value nested in a list, dict, set, tuple or message, made ready for the encoder: a Date
 * becomes the `__datetime__` tag, a Set the `__set__` tag, an integral number an int (a
 * non-integral one float64, as the library writes it), a Uint8Array stays binary. Maps, class
 * instances, functions and symbols have no Python counterpart and are refused rather than
 * silently written as an empty map.
 */
const toWire = (value: unknown): unknown => {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isSafeInteger(value) ? wireInt(value) : value;
    case "bigint":
      return wireBigInt(value);
    case "object":
      break;
    default:
      throw new TypeError(`a ${typeof value} cannot be stored`);
  }
  if (Array.isArray(value)) return value.map(toWire);
  if (ArrayBuffer.isView(value)) return value;
  if (value instanceof Date) return tagged("__datetime__", datetimeText(value));
  if (value instanceof Set) return tagged("__set__", Array.from(value, toWire));
  if (!isPlainObject(value)) {
    throw new TypeError(
      `a ${value.constructor.name} cannot be stored; use a plain object, array, Set or Date`,
    );
  }
  // A null-prototype copy, so an own "__proto__" key stays a key.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) out[key] = toWire(value[key]);
  return out;
};

const datetimeText = (value: Date): string => {
  if (!isPythonRangeDate(value))
    throw new RangeError("an invalid Date, or one outside years 1-9999, cannot be stored");
  return formatLegacyDatetime(value);
};

const wrongType = (type: FieldType, value: unknown): TypeError =>
  new TypeError(`cannot encode ${value instanceof Date ? "Date" : typeof value} as a ${type} field`);

/** The wire form of a non-null canonical value of a field type. */
const fieldWire = (type: FieldType, value: unknown): unknown => {
  switch (type) {
    case "string":
      if (typeof value === "string") return value;
      break;
    case "int":
      if (typeof value === "number" && Number.isSafeInteger(value)) return wireInt(value);
      break;
    case "boolean":
      if (typeof value === "boolean") return value;
      break;
    case "bytes":
      if (value instanceof Uint8Array) return value;
      break;
    case "list":
      if (Array.isArray(value)) return value.map(toWire);
      break;
    case "dict":
      if (typeof value === "object" && value !== null && isPlainObject(value)) return toWire(value);
      break;
    case "set":
      if (value instanceof Set) return tagged("__set__", Array.from(value, toWire));
      break;
    case "tuple":
      if (Array.isArray(value)) return tagged("__tuple__", value.map(toWire));
      break;
    case "decimal":
      // Python writes str(Decimal): the text, except tiny values in scientific form ("1E-7").
      if (typeof value === "string" && PLAIN_DECIMAL.test(value)) {
        return tagged("__Decimal__", pythonDecimalStr(value));
      }
      break;
    case "date":
      if (value instanceof Date && isPythonRangeDate(value))
        return tagged("__date__", formatCompactDate(value));
      break;
    case "datetime":
      if (value instanceof Date) return tagged("__datetime__", datetimeText(value));
      break;
    case "time":
      if (typeof value === "string" && parseTimeText(value) === value) return tagged("__time__", value);
      break;
    case "float":
      break;
  }
  throw wrongType(type, value);
};

/**
 * The hash value for a field: msgpack of the canonical value (see `FieldTypeValues`), nil
 * (`c0`) for null. Throws a TypeError or RangeError for a value that is not the type's canonical
 * form, or that holds something msgpack cannot carry.
 */
export const encodeField = (type: FieldType, value: unknown): Uint8Array => {
  if (value === null || value === undefined) return asBuffer(encoder.encode(null));
  if (type === "float") {
    if (typeof value !== "number") throw wrongType(type, value);
    return asBuffer(floatEncoder.encode(value));
  }
  return asBuffer(encoder.encode(fieldWire(type, value)));
};

/** A geo field's value: Popoto's `Coordinates` named tuple, so a tagged tuple of two float64s. */
export const encodeGeo = (latitude: number, longitude: number): Uint8Array =>
  asBuffer(floatEncoder.encode(tagged("__tuple__", [latitude, longitude])));

/**
 * A geo field without a location, as Popoto (0.8.3 and 1.x) writes it: its `Coordinates(None,
 * None)` default, a tagged tuple of two nils (`82 a9 __tuple__ c3 ac as_encodable 92 c0 c0`).
 */
export const encodeGeoNull = (): Uint8Array => asBuffer(encoder.encode(tagged("__tuple__", [null, null])));

/** A relationship's value: the related instance's key as str, or nil. */
export const encodeRelationship = (key: string | null): Uint8Array => encodeField("string", key);

/** A pub/sub message: plain msgpack with the same tagged maps for nested values. */
export const encodeMessage = (data: unknown): Uint8Array => asBuffer(encoder.encode(toWire(data)));
