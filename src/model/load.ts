/** `Model.load(key)`: one instance by its key, read with HGETALL. */
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { CorruptDataError, describeReceived, ValidationError } from "../errors.js";
import { bucketOfInstanceKey, declaredModel, inBucket } from "../keys/keys.js";
import { LayoutMoved, retiredCheckOf, withLayout } from "../shards/read-layout.js";
import { decodeHash, hashFromFlat, valuesFromKey } from "./hash.js";
import { hydrateRow, type BlankConstructible } from "./hydrate-row.js";
import type { InstanceBase } from "./instance.js";
import { instanceKeyOf } from "./key-string.js";
import type { ModelMeta } from "./meta.js";
import { candidateKeys, keyValues } from "./values.js";

/**
 * The instance stored at `key`, or null when no hash is there. A sharded model's key is looked up
 * in its stored layout (src/shards/read-layout.ts): as given when that is the declared layout,
 * else by its key-field values, in the layout (or, while a reshard moves it, both layouts).
 */
export function loadKey(
  meta: ModelMeta,
  Class: BlankConstructible,
  key: string,
): Promise<InstanceBase | null> {
  return meta.shards > 1 ? loadSharded(meta, Class, key, undefined) : loadExact(meta, Class, key);
}

/**
 * A sharded model's instance, by a key (any layout's) or by key-field values: in the old layout
 * first, then the new one while moving (a mover copies before it deletes, so an instance gone from
 * the first read is in the second). A miss in a settled layout checks that the buckets read were
 * not retired meanwhile (one more round trip, on a miss only).
 */
function loadSharded(
  meta: ModelMeta,
  Class: BlankConstructible,
  key: string | undefined,
  values: ReadonlyMap<string, unknown> | undefined,
): Promise<InstanceBase | null> {
  const declared = declaredModel(meta);
  return withLayout(declared, async (views) => {
    let keys: readonly string[] = [];
    for (const view of views) {
      keys =
        key !== undefined && views.length === 1 && view === declared
          ? [key]
          : candidateKeys(view, values ?? valuesFromKey(view, key as string));
      const found = await loadFirst(declared, Class, keys);
      if (found) return found;
    }
    await assertKeysNotRetired(views[views.length - 1] as ModelMeta, keys);
    return null;
  });
}

/** Fails with LayoutMoved when a bucket of `keys` is retired for `view`'s layout (its read may have missed a moved instance). */
async function assertKeysNotRetired(view: ModelMeta, keys: readonly string[]): Promise<void> {
  const checks = keys.flatMap((key) => {
    const bucket = bucketOfInstanceKey(view, key);
    const check = bucket === undefined ? undefined : retiredCheckOf(inBucket(view, bucket));
    return check ? [check] : [];
  });
  if (checks.length === 0) return;
  let found: number[];
  try {
    found = await Promise.all(checks.map((c) => getConnection().sismember(c.key, c.member)));
  } catch (error) {
    throw wrapRedisError(error);
  }
  if (found.some((member) => member === 1)) throw new LayoutMoved(view.name);
}

/** The instance stored at exactly `key`, or null when no hash is there. */
async function loadExact(
  meta: ModelMeta,
  Class: BlankConstructible,
  key: string,
): Promise<InstanceBase | null> {
  let flat: Buffer[];
  try {
    // Upper case: ioredis applies its HGETALL reply transformer (a plain object built with an
    // `in` check per field) to the lower-case name only; the flat reply goes straight into the Map.
    flat = (await getConnection().callBuffer("HGETALL", key)) as Buffer[];
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("WRONGTYPE"))
      throw new CorruptDataError(meta.name, key, "(hash)", "the key holds another Redis type than a hash");
    throw wrapRedisError(error);
  }
  if (flat.length === 0) return null;
  const hash = hashFromFlat(flat);
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
  const values = keyValues(meta, key, "loaded");
  if (meta.shards > 1) return loadSharded(meta, Class, undefined, values);
  return loadFirst(meta, Class, candidateKeys(meta, values));
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
  if (keys.length === 1) return loadExact(meta, Class, keys[0] as string);
  const found = await Promise.all(keys.map((key) => loadExact(meta, Class, key)));
  return found.find((instance) => instance !== null) ?? null;
}
