/**
 * msgpack bytes to field values and pub/sub messages: what Python Popoto (or popoto) wrote, checked
 * against the field's type. Anything that does not fit throws a short plain Error; the caller adds
 * model, key and field (CorruptDataError).
 */
import { Decoder } from "@msgpack/msgpack";
import type { FieldType } from "../../fields/field-type.js";
import { decimalFromNumber, toPlainDecimal } from "../decimal.js";
import {
  isPythonRangeDate,
  parseCompactDate,
  parseDatetimeText,
  parseIsoDate,
  parseTimeText,
} from "../temporal.js";
import { AS_ENCODABLE, isMap, tagOf, type Tag } from "./wire.js";

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

/** No scalar fast path applies: the decoder reads the bytes. */
const GENERAL = Symbol("general");

/**
 * nil, bools, ints up to 32 bits, floats and strings up to 64 KiB, read directly: most stored
 * fields are one of these, and the decoder's per-call setup (a DataView over each buffer) cost
 * more than the value. Bytes that are anything else, or longer or shorter than their header
 * says, go to the decoder, which reads or rejects them as before.
 */
const unpackScalar = (bytes: Uint8Array): unknown => {
  const head = bytes[0];
  const length = bytes.length;
  if (head === undefined) return GENERAL;
  if (length === 1) {
    if (head <= 0x7f) return head;
    if (head >= 0xe0) return head - 0x100;
    if (head === 0xc0) return null;
    if (head === 0xc2) return false;
    if (head === 0xc3) return true;
    return GENERAL;
  }
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, length);
  if (head >= 0xa0 && head <= 0xbf)
    return length === 1 + (head & 0x1f) ? buffer.toString("utf8", 1, length) : GENERAL;
  switch (head) {
    case 0xd9:
      return length === 2 + (buffer[1] as number) ? buffer.toString("utf8", 2, length) : GENERAL;
    case 0xda:
      return length === 3 + buffer.readUInt16BE(1) ? buffer.toString("utf8", 3, length) : GENERAL;
    case 0xcc:
      return length === 2 ? buffer[1] : GENERAL;
    case 0xcd:
      return length === 3 ? buffer.readUInt16BE(1) : GENERAL;
    case 0xce:
      return length === 5 ? buffer.readUInt32BE(1) : GENERAL;
    case 0xd0:
      return length === 2 ? buffer.readInt8(1) : GENERAL;
    case 0xd1:
      return length === 3 ? buffer.readInt16BE(1) : GENERAL;
    case 0xd2:
      return length === 5 ? buffer.readInt32BE(1) : GENERAL;
    case 0xca:
      return length === 5 ? buffer.readFloatBE(1) : GENERAL;
    case 0xcb:
      return length === 9 ? buffer.readDoubleBE(1) : GENERAL;
  }
  return GENERAL;
};

const unpack = (bytes: Uint8Array): unknown => {
  const scalar = unpackScalar(bytes);
  if (scalar !== GENERAL) return scalar;
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new Error(`not valid msgpack: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
};

/** Rejects invalid UTF-8, which the decoder would otherwise turn into U+FFFD silently. */
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The payload of a msgpack str (fixstr, str8, str16, str32), for a strict UTF-8 check. */
const strPayload = (bytes: Uint8Array): Uint8Array => {
  const head = bytes[0] ?? 0;
  const skip =
    head >= 0xa0 && head <= 0xbf ? 1 : head === 0xd9 ? 2 : head === 0xda ? 3 : head === 0xdb ? 5 : 0;
  return bytes.subarray(skip);
};

/**
 * The canonical value of a field read from the hash, or null for nil. Throws a plain Error with a
 * short detail (the caller adds model, key and field) for bytes that are not msgpack, do not fit
 * the type, or hold an int beyond 2**53.
 */
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
    if (type === "int" && typeof raw === "bigint")
      throw new Error(
        `int ${raw} is beyond 2**53, which a JS number cannot hold exactly; popoto never rounds it ` +
          `(keep such values below 2**53, or store them in a decimal field)`,
      );
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
