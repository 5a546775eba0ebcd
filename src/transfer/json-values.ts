/**
 * The JSON form of field values in `popoto export` / `popoto import` lines (docs/storage.md §10).
 *
 * A field's top-level value is written in the form its declared type names, so a line reads like
 * what `create()` takes: a decimal, date, datetime or time is its text, bytes are base64, a set or
 * tuple an array, a location `{ latitude, longitude }`, a relationship the related key. Values
 * nested in a list, dict, set or tuple have no declared type, so the types JSON lacks are tagged
 * there: a one-member object whose name starts with `$` (`{"$bytes": "…"}`, `{"$set": […]}`,
 * `{"$datetime": "…Z"}`, `{"$int": "…"}` for an int beyond 2**53); a nested dict that itself has
 * exactly one member named `$…` is wrapped as `{"$dict": {…}}` so it is never read as a tag.
 *
 * Pure: no Redis. Import decodes to the values `create()` accepts, and the write path validates
 * them, so a line is checked exactly like an application's save.
 */
import { formatIsoDate, parseDatetimeText, subMillisecondMicros } from "../encoding/temporal.js";
import type { FieldSpec } from "../fields/field.js";

/** JSON as `JSON.parse` returns it. */
export type Json = null | boolean | number | string | Json[] | { [name: string]: Json };

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/** UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`, microseconds included (a Date read from Redis keeps them). */
export const datetimeJson = (value: Date): string =>
  `${formatIsoDate(value)}T${pad(value.getUTCHours(), 2)}:${pad(value.getUTCMinutes(), 2)}:` +
  `${pad(value.getUTCSeconds(), 2)}.${pad(value.getUTCMilliseconds(), 3)}${pad(subMillisecondMicros(value), 3)}Z`;

const base64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A key in the standalone spelling (`{Book}:Dune` → `Book:Dune`), so a file moves between layouts. */
export const portableKey = (key: string): string => key.replace(/^\{([A-Za-z0-9_]+)\}:/, "$1:");

const isTagLike = (record: Record<string, unknown>): boolean => {
  const names = Object.keys(record);
  return names.length === 1 && (names[0] as string).startsWith("$");
};

/** A value nested in a list, dict, set or tuple, as JSON with the tags above. */
export function nestedToJson(value: unknown): Json {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return value;
    case "bigint":
      return { $int: value.toString() };
    default:
      break;
  }
  if (Array.isArray(value)) return value.map(nestedToJson);
  if (value instanceof Uint8Array) return { $bytes: base64(value) };
  if (value instanceof Date) return { $datetime: datetimeJson(value) };
  if (value instanceof Set) return { $set: Array.from(value, nestedToJson) };
  const record = value as Record<string, unknown>;
  const out: Record<string, Json> = {};
  for (const name of Object.keys(record)) out[name] = nestedToJson(record[name]);
  return isTagLike(record) ? { $dict: out } : out;
}

/** A failure to read a JSON value back: what was wrong, for the line's report. */
export class JsonValueError extends Error {
  override readonly name = "JsonValueError";
}

/** The value a nested JSON value stands for (tags decoded). */
export function nestedFromJson(json: Json): unknown {
  if (json === null || typeof json !== "object") return json;
  if (Array.isArray(json)) return json.map(nestedFromJson);
  const names = Object.keys(json);
  if (names.length === 1 && (names[0] as string).startsWith("$")) {
    const tag = names[0] as string;
    const inner = json[tag] as Json;
    switch (tag) {
      case "$bytes":
        if (typeof inner === "string" && BASE64.test(inner)) return Buffer.from(inner, "base64");
        throw new JsonValueError(`{"$bytes": …} takes a base64 string`);
      case "$set":
        if (Array.isArray(inner)) return new Set(inner.map(nestedFromJson));
        throw new JsonValueError(`{"$set": …} takes an array`);
      case "$datetime": {
        const date = typeof inner === "string" ? parseDatetimeText(inner, true) : null;
        if (date) return date;
        throw new JsonValueError(`{"$datetime": …} takes an ISO 8601 text with Z or an offset`);
      }
      case "$int":
        if (typeof inner === "string" && /^-?\d+$/.test(inner)) return BigInt(inner);
        throw new JsonValueError(`{"$int": …} takes a string of decimal digits`);
      case "$dict":
        if (inner !== null && typeof inner === "object" && !Array.isArray(inner)) return dictFromJson(inner);
        throw new JsonValueError(`{"$dict": …} takes an object`);
      default:
        throw new JsonValueError(
          `unknown tag ${JSON.stringify(tag)} (a one-member object named "$…" is a tag; wrap such a dict as {"$dict": {…}})`,
        );
    }
  }
  return dictFromJson(json);
}

const dictFromJson = (json: Record<string, Json>): Record<string, unknown> => {
  // Null prototype: a member named "__proto__" stays a member.
  const out = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(json)) out[name] = nestedFromJson(json[name] as Json);
  return out;
};

/** A field's decoded value (what the model holds, relationships as keys) as JSON. */
export function fieldToJson(spec: FieldSpec, value: unknown): Json {
  if (value === null || value === undefined) return spec.kind === "relationship" && spec.many ? [] : null;
  if (spec.kind === "geo") {
    const point = value as { latitude: number; longitude: number };
    return { latitude: point.latitude, longitude: point.longitude };
  }
  if (spec.kind === "relationship")
    return Array.isArray(value) ? value.map((key) => portableKey(String(key))) : portableKey(String(value));
  switch (spec.type) {
    case "float":
      // JSON has no negative zero; float64 -0.0 is other bytes than 0.0.
      return Object.is(value, -0) ? "-0" : (value as number);
    case "bytes":
      return base64(value as Uint8Array);
    case "set":
      return Array.from(value as Set<unknown>, nestedToJson);
    case "list":
    case "tuple":
      return (value as unknown[]).map(nestedToJson);
    case "dict": {
      const record = value as Record<string, unknown>;
      const out: Record<string, Json> = {};
      for (const name of Object.keys(record)) out[name] = nestedToJson(record[name]);
      return out;
    }
    case "date":
      return formatIsoDate(value as Date);
    case "datetime":
      return datetimeJson(value as Date);
    default:
      // string, int, boolean; decimal and time are their canonical text already.
      return value as Json;
  }
}

/**
 * The value to give the model for a field's JSON: the form `create()` accepts (the write path
 * validates it). Throws JsonValueError for a JSON shape the type never has.
 */
export function fieldFromJson(spec: FieldSpec, json: Json): unknown {
  if (json === null) return null;
  if (spec.kind === "geo" || spec.kind === "relationship") return json;
  switch (spec.type) {
    case "float":
      return json === "-0" ? -0 : json;
    case "bytes":
      if (typeof json === "string" && BASE64.test(json)) return Buffer.from(json, "base64");
      throw new JsonValueError(`expected base64 text for a bytes field, received ${describe(json)}`);
    case "set":
    case "list":
    case "tuple":
      if (!Array.isArray(json))
        throw new JsonValueError(`expected an array for a ${spec.type} field, received ${describe(json)}`);
      return spec.type === "set" ? new Set(json.map(nestedFromJson)) : json.map(nestedFromJson);
    case "dict":
      if (typeof json !== "object" || Array.isArray(json))
        throw new JsonValueError(`expected an object for a dict field, received ${describe(json)}`);
      return dictFromJson(json);
    case "datetime": {
      // Parsed here rather than by create(): the microseconds past the millisecond are kept.
      const date = typeof json === "string" ? parseDatetimeText(json, true) : null;
      if (date === null)
        throw new JsonValueError(
          `expected ISO 8601 text with Z or an offset for a datetime field, received ${describe(json)}`,
        );
      return date;
    }
    default:
      return json;
  }
}

const describe = (json: Json): string => {
  const text = JSON.stringify(json);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
};
