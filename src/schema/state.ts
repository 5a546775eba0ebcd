/**
 * What this process knows of each model's schema fingerprint (`$Schema:<Model>`), per connection.
 * Queries consult it before reading an index: in steady state the answer is in memory, so a query
 * costs no extra round trip. It is filled by the write script's reply (every save reports whether
 * the fingerprint holds the writer's indexes) or, for a model this connection has not written, by
 * one HGETALL at its first query that reads a tracked index. A missing index is read again before
 * a query fails, so an index built meanwhile (`migrate` in another process) is seen at once.
 */
import { wrapRedisError } from "../connection/connection.js";
import { getConnection, type RedisClient } from "../connection/current.js";
import { IndexNotBuiltError } from "../errors.js";
import { allBuckets, bucketOfIndexKey, inBucket, schemaKey, unsharded } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { BUILT, FINGERPRINT_VERSION_FIELD, idsOfKeys, indexIds } from "./fingerprint.js";

/**
 * `absent`: no fingerprint, that is no `~v` field (data written before popoto kept one, or by
 * Python Popoto only; an unfinished first `migrate()` alone does not make one): nothing is known,
 * so every index is trusted, as before. Otherwise the ids of the built indexes.
 */
export type KnownSchema =
  { readonly kind: "absent" } | { readonly kind: "built"; readonly ids: ReadonlySet<string> };

const known = new WeakMap<RedisClient, WeakMap<ModelMeta, KnownSchema>>();

const table = (): WeakMap<ModelMeta, KnownSchema> => {
  const client = getConnection();
  let models = known.get(client);
  if (!models) known.set(client, (models = new WeakMap()));
  return models;
};

/** A fingerprint hash as read (field → value), as known state. */
export const knownFrom = (hash: Readonly<Record<string, string>>): KnownSchema =>
  hash[FINGERPRINT_VERSION_FIELD] === undefined
    ? { kind: "absent" }
    : { kind: "built", ids: new Set(Object.keys(hash).filter((id) => hash[id] === BUILT)) };

const reading = new WeakMap<RedisClient, WeakMap<ModelMeta, Promise<KnownSchema>>>();

/**
 * Reads the model's (or one bucket's) fingerprint, one HGETALL, and remembers it. Calls made while
 * one is on its way share it: a sharded query checks from every bucket's plan at once.
 */
export function readSchema(meta: ModelMeta): Promise<KnownSchema> {
  const client = getConnection();
  let pending = reading.get(client);
  if (!pending) reading.set(client, (pending = new WeakMap()));
  const running = pending.get(meta);
  if (running) return running;
  const read = readOnce(meta).finally(() => pending.delete(meta));
  pending.set(meta, read);
  return read;
}

async function readOnce(meta: ModelMeta): Promise<KnownSchema> {
  let hash: Record<string, string>;
  try {
    hash = await getConnection().hgetall(schemaKey(meta));
  } catch (error) {
    // Another client's key of another type there: no fingerprint popoto can read, so unknown.
    if (error instanceof Error && error.message.includes("WRONGTYPE")) hash = {};
    else throw wrapRedisError(error);
  }
  const state = knownFrom(hash);
  table().set(meta, state);
  return state;
}

/**
 * What a committed save's script reported about the fingerprint: 1, it holds every index of the
 * writer's model (recorded just now when the model had no instance yet); 0, some are missing;
 * -1, there is none (instances stored without one: unknown).
 */
export function noteWritten(meta: ModelMeta, state: number): void {
  if (state === 1) table().set(meta, { kind: "built", ids: new Set(indexIds(meta)) });
  else if (state === -1) table().set(meta, { kind: "absent" });
  else table().delete(meta);
}

/** Remembers that every index of the model (or of one bucket's view) is built (after `migrate` recorded it). */
export function noteBuilt(meta: ModelMeta): void {
  table().set(meta, { kind: "built", ids: new Set(indexIds(meta)) });
}

const firstMissing = (
  state: KnownSchema,
  needed: ReadonlyMap<string, string>,
): [string, string] | undefined => {
  if (state.kind === "absent") return undefined;
  for (const entry of needed) if (!state.ids.has(entry[0])) return entry;
  return undefined;
};

/**
 * The fingerprint ids `keys` read. Keys given with a sharded model itself (not a bucket's view)
 * are each read as the key of the bucket its tag names.
 */
const neededIds = (meta: ModelMeta, keys: readonly string[]): Map<string, string> => {
  if (meta.shards <= 1 || meta.bucket !== undefined) return idsOfKeys(meta, keys);
  const found = new Map<string, string>();
  for (const key of keys) {
    const bucket = bucketOfIndexKey(meta, key);
    if (bucket === undefined) continue;
    for (const [id, field] of idsOfKeys(inBucket(meta, bucket), [key])) found.set(id, field);
  }
  return found;
};

/**
 * The buckets whose fingerprints decide a query that reads `keys`: a bucket's view reads that
 * bucket only (a query of a sharded model runs per bucket, each bucket its own view, so a query
 * whose filter gives `shardBy` consults one fingerprint); the sharded model itself, the buckets its
 * keys name (as `neededIds` reads them); the `{Event#?}` stand-in, every bucket.
 */
function decidingViews(meta: ModelMeta, keys: readonly string[]): ModelMeta[] {
  if (meta.shards <= 1 || (meta.bucket !== undefined && meta.bucket >= 0)) return [meta];
  const base = unsharded(meta);
  if (meta.bucket !== undefined) return allBuckets(base);
  const buckets = new Set<number>();
  for (const key of keys) {
    const bucket = bucketOfIndexKey(meta, key);
    if (bucket !== undefined) buckets.add(bucket);
  }
  return buckets.size === 0 ? allBuckets(base) : [...buckets].map((b) => inBucket(base, b));
}

/**
 * Fails with IndexNotBuiltError, before anything is read, when a query would read an index of
 * the model (named by `keys`, the index keys of its plan, spelled for `meta`: the model, or a
 * bucket's view of a sharded one, or its stand-in) that the fingerprint does not list as built.
 * For a sharded model the fingerprints of the buckets read decide (`decidingViews`): a fan-out
 * over every bucket checks each bucket before its own call, so a bucket lacking the index fails
 * the query; the buckets not known here are read together (one HGETALL each, sent at once).
 */
export async function assertIndexesBuilt(
  meta: ModelMeta,
  keys: readonly string[],
  reader?: string,
): Promise<void> {
  const needed = neededIds(meta, keys);
  if (needed.size === 0) return;
  const views = decidingViews(meta, keys);
  const models = table();
  const lacking = (view: ModelMeta): boolean => {
    const cached = models.get(view);
    return cached === undefined || firstMissing(cached, needed) !== undefined;
  };
  const unsure = views.filter(lacking);
  if (unsure.length === 0) return;
  // Unknown here, or missing: read them (again: another process may have built them since).
  const states = await Promise.all(unsure.map(readSchema));
  for (const state of states) {
    const missing = firstMissing(state, needed);
    if (missing !== undefined) throw new IndexNotBuiltError(meta.name, missing[1], missing[0], reader);
  }
}
