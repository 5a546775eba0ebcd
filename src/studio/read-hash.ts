/**
 * Instance hashes read for display: each field decoded on its own, so one corrupt field shows as
 * such instead of hiding the whole instance.
 */
import type { Redis } from "ioredis";
import { decodeValue } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";

/** One field of a stored instance: its decoded value, or why its bytes do not decode. */
export type StoredField =
  | { readonly state: "value"; readonly value: unknown }
  | { readonly state: "absent" }
  | { readonly state: "corrupt"; readonly message: string };

/** A stored instance as the studio shows it. */
export interface StoredInstance {
  readonly key: string;
  /** False when the hash is gone (e.g. deleted between the query and the read). */
  readonly exists: boolean;
  readonly fields: ReadonlyMap<string, StoredField>;
  /** Every field of the hash as stored, declared or not, bytes as they are. */
  readonly raw: ReadonlyMap<string, Buffer>;
}

/** Decodes each declared field of a hash separately. */
export function decodeFields(
  meta: ModelMeta,
  key: string,
  raw: ReadonlyMap<string, Buffer>,
): Map<string, StoredField> {
  const fields = new Map<string, StoredField>();
  for (const name of meta.fieldNames) {
    const bytes = raw.get(name);
    if (bytes === undefined) {
      fields.set(name, { state: "absent" });
      continue;
    }
    try {
      fields.set(name, { state: "value", value: decodeValue(meta, key, name, bytes) });
    } catch (error) {
      fields.set(name, { state: "corrupt", message: (error as Error).message });
    }
  }
  return fields;
}

/** HGETALL of each key in one pipeline; a key that is not a hash reads as absent. */
export async function readHashes(
  redis: Redis,
  meta: ModelMeta,
  keys: readonly string[],
): Promise<StoredInstance[]> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetallBuffer(key);
  const results = (await pipeline.exec()) ?? [];
  return keys.map((key, i) => {
    const [error, flat] = results[i] ?? [null, null];
    const raw = new Map(Object.entries((error ? {} : (flat ?? {})) as Record<string, Buffer>));
    return { key, exists: raw.size > 0, fields: decodeFields(meta, key, raw), raw };
  });
}
