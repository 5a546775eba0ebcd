/** `Model.load(key)`: one instance by its key, read with HGETALL. */
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { CorruptDataError, describeReceived, ValidationError } from "../errors.js";
import { decodeHash } from "./hash.js";
import { hydrateRow, type BlankConstructible } from "./hydrate-row.js";
import type { InstanceBase } from "./instance.js";
import { instanceKeyOf } from "./key-string.js";
import type { ModelMeta } from "./meta.js";
import { candidateKeys, keyValues } from "./values.js";

/** The instance stored at `key`, or null when no hash is there. */
export async function loadKey(
  meta: ModelMeta,
  Class: BlankConstructible,
  key: string,
): Promise<InstanceBase | null> {
  let flat: Record<string, Buffer>;
  try {
    flat = await getConnection().hgetallBuffer(key);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("WRONGTYPE"))
      throw new CorruptDataError(meta.name, key, "(hash)", "the key holds another Redis type than a hash");
    throw wrapRedisError(error);
  }
  const hash = new Map<string, Buffer>();
  for (const field in flat) hash.set(field, flat[field] as Buffer);
  if (hash.size === 0) return null;
  return hydrateRow(meta, Class, { key, values: decodeHash(meta, key, hash), hash });
}

/** `load()`: by an instance key string or by an object of key fields. */
export async function loadInstance(
  meta: ModelMeta,
  Class: BlankConstructible,
  key: Record<string, unknown> | string,
): Promise<InstanceBase | null> {
  if (typeof key === "string") {
    // On a cluster a key written the standalone way (`Book:Dune`) is read as `{Book}:Dune`.
    // Another model's key names no instance of this model.
    const instanceKey = instanceKeyOf(meta, key, "load");
    return instanceKey === undefined ? null : loadKey(meta, Class, instanceKey);
  }
  if (key === null || typeof key !== "object" || Array.isArray(key))
    throw new ValidationError(
      meta.name,
      [
        {
          field: "(key)",
          expected: `an instance key string or an object of ${meta.name}'s key fields`,
          received: describeReceived(key),
          message: `load() takes an instance key string or an object of key fields, received ${describeReceived(key)}`,
        },
      ],
      "loaded",
    );
  return loadFirst(meta, Class, candidateKeys(meta, keyValues(meta, key, "loaded")));
}

/**
 * The instance stored at one of `keys` (a model sharded by a relationship that was not given: its
 * key in every bucket, read at once), or null.
 */
export async function loadFirst(
  meta: ModelMeta,
  Class: BlankConstructible,
  keys: readonly string[],
): Promise<InstanceBase | null> {
  if (keys.length === 1) return loadKey(meta, Class, keys[0] as string);
  const found = await Promise.all(keys.map((key) => loadKey(meta, Class, key)));
  return found.find((instance) => instance !== null) ?? null;
}
