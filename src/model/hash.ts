import { decodeField, decodeGeo } from "../encoding/codec/decode.js";
import { encodeField, encodeGeo, encodeGeoNull } from "../encoding/codec/encode.js";
import { CorruptDataError, ValidationError, type ValidationIssue } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { KeyType } from "../fields/field-type.js";
import { splitKey, unescapePart } from "../keys/escape.js";
import { fromKeyPart } from "../keys/parts.js";
import type { ModelMeta } from "./meta.js";

/**
 * The stored bytes of a model's indexed fields (`meta.indexedFields`), as read from Redis:
 * a field missing from the hash maps to `undefined`. `null` means nothing is stored.
 */
export type Snapshot = ReadonlyMap<string, Buffer | undefined> | null;

const toBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** msgpack bytes of one field's canonical value (a relationship stores its target's key as a string). */
export const encodeValue = (spec: FieldSpec, value: unknown): Buffer => {
  // No location: Popoto's tuple of two nils rather than nil, so both libraries write one form.
  if (spec.kind === "geo" && (value === null || value === undefined)) return toBuffer(encodeGeoNull());
  if (spec.kind === "geo") {
    const point = value as { latitude: number; longitude: number };
    return toBuffer(encodeGeo(point.latitude, point.longitude));
  }
  return toBuffer(encodeField(spec.type, value));
};

/** Every declared field as `[name, msgpack]`, in declaration order: the HSET of a save. */
export const encodeHash = (meta: ModelMeta, values: ReadonlyMap<string, unknown>): [string, Buffer][] => {
  const issues: ValidationIssue[] = [];
  const hash = meta.fieldNames.map((name): [string, Buffer] => {
    try {
      return [name, encodeValue(meta.fields.get(name) as FieldSpec, values.get(name) ?? null)];
    } catch (error) {
      // Validation lets through only storable values; this is the last guard before a write.
      const message = `cannot be stored as msgpack: ${(error as Error).message}`;
      issues.push({
        field: name,
        expected: "a value msgpack can hold",
        received: "an unstorable value",
        message,
      });
      return [name, Buffer.alloc(0)];
    }
  });
  if (issues.length > 0) throw new ValidationError(meta.name, issues);
  return hash;
};

/** The indexed fields' bytes out of an encoded hash: the snapshot a later save checks against. */
export const snapshotOf = (
  meta: ModelMeta,
  hash: ReadonlyMap<string, Buffer>,
): Map<string, Buffer | undefined> =>
  // Copies: a loaded value is a slice of the whole reply, which an instance should not keep alive.
  new Map(
    meta.indexedFields.map((name) => {
      const bytes = hash.get(name);
      return [name, bytes === undefined ? undefined : Buffer.from(bytes)];
    }),
  );

/** Decodes one stored field; bytes that do not decode become a CorruptDataError naming key and field. */
export function decodeValue(meta: ModelMeta, key: string, name: string, bytes: Uint8Array): unknown {
  const spec = meta.fields.get(name) as FieldSpec;
  try {
    const value = spec.kind === "geo" ? decodeGeo(bytes) : decodeField(spec.type, bytes);
    return value === undefined ? null : value;
  } catch (error) {
    throw new CorruptDataError(meta.name, key, name, (error as Error).message);
  }
}

/** Canonical values of a stored hash (fields missing from it are null). */
export function decodeHash(
  meta: ModelMeta,
  key: string,
  hash: ReadonlyMap<string, Buffer>,
): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const name of meta.fieldNames) {
    const bytes = hash.get(name);
    values.set(name, bytes === undefined ? null : decodeValue(meta, key, name, bytes));
  }
  return values;
}

/** Values of the indexed fields in a snapshot, skipping fields that do not decode (they index nothing). */
export function decodeSnapshot(meta: ModelMeta, key: string, snapshot: Snapshot): Map<string, unknown> {
  const values = new Map<string, unknown>();
  if (snapshot === null) return values;
  for (const [name, bytes] of snapshot) {
    if (bytes === undefined) {
      values.set(name, null);
      continue;
    }
    try {
      values.set(name, decodeValue(meta, key, name, bytes));
    } catch {
      // A corrupt sorted value still names its sorted set (the score is not needed to remove the
      // member); any other corrupt value names no entry popoto could have written.
      const kind = meta.fields.get(name)?.kind;
      if (kind === "sorted" || kind === "sortedKey") values.set(name, UNKNOWN_SCORE);
    }
  }
  return values;
}

/** Stands for a stored sorted value that does not decode: its entry can be removed, not scored. */
export const UNKNOWN_SCORE: unique symbol = Symbol("popoto.unknownScore");

/** Key-field values parsed from an instance key, or an empty map when the key does not fit the model. */
export function valuesFromKey(meta: ModelMeta, key: string): Map<string, unknown> {
  const parts = splitKey(key).slice(1);
  const values = new Map<string, unknown>();
  if (parts.length !== meta.keyFields.length) return values;
  meta.keyFields.forEach((name, i) => {
    const spec = meta.fields.get(name) as FieldSpec;
    try {
      values.set(name, fromKeyPart(spec.type as KeyType, unescapePart(parts[i] as string)));
    } catch {
      // Not a value this field could have written; leave it out.
    }
  });
  return values;
}

/** An HGETALL reply (flat [field, value, …] Buffers) as a map of field name to bytes. */
export const hashFromFlat = (flat: readonly Buffer[]): Map<string, Buffer> => {
  const hash = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2)
    hash.set((flat[i] as Buffer).toString("utf8"), flat[i + 1] as Buffer);
  return hash;
};
