/**
 * Hash values and pub/sub messages as msgpack, byte for byte as Python Popoto writes them
 * (storage spec §4). Python's msgpack has no types for Decimal, set, tuple, datetime, date or
 * time, so Popoto writes them as "tagged maps": `{"__set__": true, "as_encodable": [...]}`, tag
 * key first. A JS Date, Set or wide integer is turned into what Python would have sent before it
 * reaches the msgpack encoder.
 */
import { Decoder, Encoder } from "@msgpack/msgpack";
import type { FieldType } from "../fields/field-type.js";
import { PLAIN_DECIMAL, decimalFromNumber, pythonDecimalStr, toPlainDecimal } from "./decimal.js";
import {
  formatCompactDate,
  formatLegacyDatetime,
  isPythonRangeDate,
  parseCompactDate,
  parseDatetimeText,
  parseIsoDate,
  parseTimeText,
} from "./temporal.js";

/*
 * One encoder/decoder per configuration, reused: building one allocates a 2 KiB buffer.
 *
 * `useBigInt64` makes the encoder write a bigint as uint64 (0xcf) when positive and int64 (0xd3)
 * when negative, which is what Python writes for an int beyond 32 bits. The same option makes it
 * write a plain number beyond 32 bits as a float, so `toWire` turns such integers into bigints.
 */
const encoder = new Encoder({ useBigInt64: true });
/** Popoto stores a float field as float64 even when it is integral (`1.0` → `cb 3f f0 …`). */
const floatEncoder = new Encoder({ forceIntegerToFloat: true });
/** 64-bit ints come back as bigint, so an int beyond 2**53 is detected instead of rounded. */
const decoder = new Decoder({
  useBigInt64: true,
  // Python allows int map keys (Popoto unpacks with strict_map_key=False); a JS object key is text.
  mapKeyConverter: (key: unknown) => {
    if (typeof key === "string" || typeof key === "number") return key;
    if (typeof key === "bigint") return String(key);
    throw new Error(`a map key of type ${typeof key} cannot be read`);
  },
});

/*
 * ioredis sends an argument as binary only when it is a Buffer (a plain Uint8Array would be sent
 * as its `toString()`), so results are Buffer views over the encoded bytes; Buffer is a Uint8Array.
 */
const asBuffer = (bytes: Uint8Array): Uint8Array =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

const AS_ENCODABLE = "as_encodable";

/** A tagged map; the object literal keeps the tag key first, as Popoto writes it. */
const tagged = (tag: string, value: unknown): Record<string, unknown> => ({
  [tag]: true,
  [AS_ENCODABLE]: value,
});

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

// ---------------------------------------------------------------------------------------------
// Decoding

/*
 * Popoto recognises a tagged map by an "as_encodable" key plus one of these tag keys, checked in
 * this order (its TYPE_ENCODER_DECODERS order); the tag's value is not looked at.
 */
const TAGS = ["__Decimal__", "__tuple__", "__set__", "__datetime__", "__date__", "__time__"] as const;
type Tag = (typeof TAGS)[number];

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  !ArrayBuffer.isView(value) &&
  !(value instanceof Date);

const tagOf = (value: unknown): Tag | undefined => {
  if (!isMap(value) || !Object.hasOwn(value, AS_ENCODABLE)) return undefined;
  return TAGS.find((tag) => Object.hasOwn(value, tag));
};

const describeWire = (value: unknown): string => {
  if (value === null) return "nil";
  if (typeof value === "string") return "str";
  if (typeof value === "number") return Number.isInteger(value) ? "int" : "float";
  if (typeof value === "bigint") return "int";
  if (typeof value === "boolean") return "bool";
  if (value instanceof Uint8Array) return "bin";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "timestamp";
  const tag = tagOf(value);
  return tag ? `${tag} map` : isMap(value) ? "map" : typeof value;
};

const corrupt = (type: FieldType | "geo", raw: unknown): Error =>
  new Error(`expected ${type}, found msgpack ${describeWire(raw)}`);

const decodeDatetimeText = (text: unknown): Date | null =>
  typeof text === "string" ? parseDatetimeText(text) : null;

/** Python writes an aware time's offset too (`01:02:03+00:00`); only UTC fits a canonical time. */
const decodeTimeText = (text: unknown): string | null =>
  typeof text === "string" ? parseTimeText(text.replace(/(?:Z|\+00:00)$/, "")) : null;

const decodeDecimalText = (value: unknown): string | null => {
  if (typeof value === "string") return toPlainDecimal(value);
  // Popoto converts a Decimal SortedField value to float before saving it.
  if (typeof value === "number" && Number.isFinite(value)) return decimalFromNumber(value);
  if (typeof value === "bigint") return String(value);
  return null;
};

/**
 * The decoded value of a tagged map, or undefined when its payload is not what the tag says.
 * Containers' items are decoded by the caller.
 */
const untag = (tag: Tag, payload: unknown): unknown => {
  switch (tag) {
    case "__Decimal__":
      return decodeDecimalText(payload) ?? undefined;
    case "__tuple__":
      return Array.isArray(payload) ? payload : undefined;
    case "__set__":
      return Array.isArray(payload) ? payload : undefined;
    case "__datetime__":
      return decodeDatetimeText(payload) ?? undefined;
    case "__date__":
      return typeof payload === "string" ? (parseCompactDate(payload) ?? undefined) : undefined;
    case "__time__":
      return decodeTimeText(payload) ?? undefined;
  }
};

/** Binary comes back as a view into the input (a Buffer when the input is one): copy it out. */
const copyBytes = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

/**
 * Turns freshly decoded msgpack into popoto values, in place: tagged maps become their values
 * (a set a Set, a tuple an array, a decimal or time its text, a date or datetime a Date), 64-bit
 * ints within 2**53 become numbers (wider ones stay bigint, so they survive a rewrite), and binary
 * is copied out of the input buffer. Python Popoto only untags a field's top-level value; a
 * tagged map nested in a list or dict is popoto's own writing, read back the same way.
 */
const fromWire = (value: unknown): unknown => {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Uint8Array) return copyBytes(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = fromWire(value[i]);
    return value;
  }
  if (value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  const tag = tagOf(record);
  if (tag !== undefined) {
    const inner = untag(tag, record[AS_ENCODABLE]);
    if (inner === undefined) throw new Error(`malformed ${tag} map`);
    if (tag === "__set__") return new Set((inner as unknown[]).map(fromWire));
    return fromWire(inner);
  }
  return fromMapValues(record);
};

/** Decodes a map's values but not the map itself (a dict field whose keys look like a tag). */
const fromMapValues = (record: Record<string, unknown>): Record<string, unknown> => {
  for (const key of Object.keys(record)) record[key] = fromWire(record[key]);
  return record;
};

const toSafeNumber = (raw: unknown): number | undefined => {
  if (typeof raw === "number") return raw;
  if (typeof raw === "bigint") {
    const n = Number(raw);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  return undefined;
};

/** The canonical value of a non-nil field value, or undefined when the wire type does not fit. */
const decodeTyped = (type: FieldType, raw: unknown): unknown => {
  const tag = tagOf(raw);
  const payload = tag === undefined ? undefined : (raw as Record<string, unknown>)[AS_ENCODABLE];
  switch (type) {
    case "string":
      return typeof raw === "string" ? raw : undefined;
    case "int": {
      const n = toSafeNumber(raw);
      // An integral float64 is accepted: the value is the same.
      return n !== undefined && Number.isSafeInteger(n) ? n + 0 : undefined; // + 0: a float -0.0 is int 0
    }
    case "float":
      // A float field holding an int (written by another client) is the same number.
      return toSafeNumber(raw);
    case "boolean":
      return typeof raw === "boolean" ? raw : undefined;
    case "bytes":
      return raw instanceof Uint8Array ? copyBytes(raw) : undefined;
    case "list":
      if (Array.isArray(raw)) return fromWire(raw);
      return tag === "__tuple__" && Array.isArray(payload) ? fromWire(payload) : undefined;
    case "dict":
      // Typed by the field, so a dict whose own keys look like a tag stays a dict.
      return isMap(raw) ? fromMapValues(raw) : undefined;
    case "set":
      if (Array.isArray(raw)) return new Set(raw.map(fromWire));
      return tag === "__set__" && Array.isArray(payload) ? new Set(payload.map(fromWire)) : undefined;
    case "tuple":
      if (Array.isArray(raw)) return fromWire(raw);
      return tag === "__tuple__" && Array.isArray(payload) ? fromWire(payload) : undefined;
    case "decimal":
      if (tag === "__Decimal__") return decodeDecimalText(payload) ?? undefined;
      return typeof raw === "number" || typeof raw === "bigint"
        ? (decodeDecimalText(raw) ?? undefined)
        : undefined;
    case "date":
      if (tag === "__date__") return untag(tag, payload);
      return typeof raw === "string" ? (parseIsoDate(raw) ?? undefined) : undefined;
    case "datetime":
      if (tag === "__datetime__") return untag(tag, payload);
      // Newer Popoto can leave an ISO 8601 string; a msgpack timestamp decodes to a Date.
      if (raw instanceof Date) return isPythonRangeDate(raw) ? raw : undefined;
      return decodeDatetimeText(raw) ?? undefined;
    case "time":
      if (tag === "__time__") return untag(tag, payload);
      return decodeTimeText(raw) ?? undefined;
  }
};

const unpack = (bytes: Uint8Array): unknown => {
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new Error(`not valid msgpack: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
};

/**
 * The canonical value of a field read from the hash, or null for nil. Throws a plain Error with a
 * short detail (the caller adds model, key and field) for bytes that are not msgpack, do not fit
 * the type, or hold an int beyond 2**53.
 */
/** Rejects invalid UTF-8, which the decoder would otherwise turn into U+FFFD silently. */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The payload of a msgpack str (fixstr, str8, str16, str32), for a strict UTF-8 check. */
const strPayload = (bytes: Uint8Array): Uint8Array => {
  const head = bytes[0] ?? 0;
  const skip =
    head >= 0xa0 && head <= 0xbf ? 1 : head === 0xd9 ? 2 : head === 0xda ? 3 : head === 0xdb ? 5 : 0;
  return bytes.subarray(skip);
};

export const decodeField = (type: FieldType, bytes: Uint8Array): unknown => {
  const raw = unpack(bytes);
  if (raw === null) return null;
  // Valid UTF-8 re-encodes to exactly its own length; the decoder maps invalid bytes to other
  // characters (or U+FFFD) silently, so a mismatch, or a U+FFFD, gets the strict check.
  if (
    typeof raw === "string" &&
    (Buffer.byteLength(raw) !== strPayload(bytes).length || raw.includes("\uFFFD"))
  ) {
    try {
      STRICT_UTF8.decode(strPayload(bytes));
    } catch {
      throw new Error("the string is not valid UTF-8");
    }
  }
  const value = decodeTyped(type, raw);
  if (value === undefined) {
    if (type === "int" && typeof raw === "bigint") throw new Error(`int ${raw} is beyond 2**53`);
    throw corrupt(type, raw);
  }
  return value;
};

/**
 * A geo field's value, or null. Accepts the tagged tuple or a plain two-number array; null is nil,
 * or the tuple of two nils that Python Popoto writes for a GeoField without a location (its
 * `Coordinates(None, None)` default).
 */
export const decodeGeo = (bytes: Uint8Array): { latitude: number; longitude: number } | null => {
  const raw = unpack(bytes);
  if (raw === null) return null;
  const pair = tagOf(raw) === "__tuple__" ? (raw as Record<string, unknown>)[AS_ENCODABLE] : raw;
  if (Array.isArray(pair) && pair.length === 2 && pair[0] === null && pair[1] === null) return null;
  if (Array.isArray(pair) && pair.length === 2) {
    const [latitude, longitude] = pair.map(toSafeNumber);
    if (latitude !== undefined && longitude !== undefined) return { latitude, longitude };
  }
  throw corrupt("geo", raw);
};

/** A pub/sub message, with tagged maps decoded at every level (the top one included). */
export const decodeMessage = (bytes: Uint8Array): unknown => fromWire(unpack(bytes));
