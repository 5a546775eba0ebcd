/**
 * The SCAN walks of the index tools (never KEYS): a model's instance keys, and its index keys
 * (with the Redis type popoto keeps at each), one batch at a time, over every master of a cluster.
 *
 * A sharded model (docs/storage.md §7a) is walked once, not once per bucket: each SCAN step is
 * split by bucket, and each part comes with its bucket's view of the model. Buckets are different
 * slots (on a cluster, different masters), and the passes read a part with pipelines and MULTIs
 * that must stay in one slot.
 */
import { getConnection } from "../connection/connection.js";
import { scanMasters, totalKeys } from "../connection/masters.js";
import { splitKey } from "../keys/escape.js";
import {
  bucketOfIndexKey,
  bucketOfInstanceKey,
  inBucket,
  indexKeyPatterns,
  indexValuesPrefix,
  instanceKeyPattern,
} from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";

/** An index structure (a `$Index` hash: `hash`), or a ttl shadow hash (`$IndexValues:…`). */
export interface IndexKey {
  readonly key: string;
  readonly type: "set" | "zset" | "hash" | "shadow";
}

/** Keys of one slot of the model: the model itself, or one bucket's view of a sharded model. */
export interface KeyGroup<TKey> {
  readonly meta: ModelMeta;
  readonly keys: TKey[];
}

/** Calls `progress(done, total)` with keys scanned so far and the database's size. */
export type WalkProgress = (done: number, total: number) => void;

/** Splits keys by the view they belong to (undefined: none of the model's), in first-seen order. */
const grouped = <TKey>(
  items: readonly TKey[],
  viewOf: (item: TKey) => ModelMeta | undefined,
): KeyGroup<TKey>[] => {
  const groups = new Map<ModelMeta, TKey[]>();
  for (const item of items) {
    const view = viewOf(item);
    if (view === undefined) continue;
    const list = groups.get(view);
    if (list) list.push(item);
    else groups.set(view, [item]);
  }
  return [...groups].map(([meta, keys]) => ({ meta, keys }));
};

/**
 * The model's instance keys (`Book:*` with as many parts as the model's key; a sharded model's
 * `{Event#*` keys whose tag is one of its buckets'), by SCAN MATCH, grouped by bucket.
 */
export async function* instanceKeys(
  meta: ModelMeta,
  count: number,
  progress?: WalkProgress,
): AsyncGenerator<KeyGroup<string>[]> {
  const parts = meta.keyFields.length + 1;
  const total = await totalKeys(getConnection());
  let seen = 0;
  const viewOf = (key: string): ModelMeta | undefined => {
    if (key.startsWith("$") || splitKey(key).length !== parts) return undefined;
    if (meta.shards <= 1) return meta;
    const bucket = bucketOfInstanceKey(meta, key);
    // `{Event#3.17}x:…` is not an instance key: the tag must be the whole first part.
    return bucket === undefined || key.charAt(key.indexOf("}") + 1) !== ":"
      ? undefined
      : inBucket(meta, bucket);
  };
  for await (const { keys } of scanMasters(getConnection(), instanceKeyPattern(meta), count)) {
    seen += keys.length;
    progress?.(seen, total);
    yield grouped(keys, viewOf);
  }
}

/** How one view's index keys are recognised: a prefix (or one exact key) per structure, and its shadows' prefix. */
interface Recogniser {
  readonly patterns: readonly {
    readonly prefix: string;
    readonly exact: boolean;
    readonly type: "set" | "zset" | "hash";
  }[];
  readonly shadowPrefix: string;
}

const recogniser = (meta: ModelMeta): Recogniser => ({
  // Every pattern is a prefix followed by `*`, or one exact key (the class set, a `$Index` hash).
  patterns: indexKeyPatterns(meta).map((p) => ({
    prefix: p.pattern.endsWith("*") ? p.pattern.slice(0, -1) : p.pattern,
    exact: !p.pattern.endsWith("*"),
    type: p.type,
  })),
  shadowPrefix: indexValuesPrefix(meta),
});

/** The kind of index key `key` is for the view `by` recognises, or undefined when it is none of its. */
const indexKeyOf = (by: Recogniser, key: string): IndexKey | undefined => {
  if (key.startsWith(by.shadowPrefix)) return { key, type: "shadow" };
  const match = by.patterns.find((p) => (p.exact ? key === p.prefix : key.startsWith(p.prefix)));
  return match ? { key, type: match.type } : undefined;
};

/**
 * The model's index keys and ttl shadows, by one SCAN MATCH `$*` (the patterns differ only by
 * their `$` prefix, and SCAN MATCH filters after reading anyway, so one walk costs as much as one),
 * grouped by bucket.
 */
export async function* indexKeys(
  meta: ModelMeta,
  count: number,
  progress?: WalkProgress,
): AsyncGenerator<KeyGroup<IndexKey>[]> {
  const recognisers = new Map<ModelMeta, Recogniser>();
  const recogniserOf = (view: ModelMeta): Recogniser => {
    let found = recognisers.get(view);
    if (!found) recognisers.set(view, (found = recogniser(view)));
    return found;
  };
  const viewOf = (key: string): ModelMeta | undefined => {
    if (meta.shards <= 1) return meta;
    const bucket = bucketOfIndexKey(meta, key);
    return bucket === undefined ? undefined : inBucket(meta, bucket);
  };
  const total = await totalKeys(getConnection());
  let seen = 0;
  for await (const { keys } of scanMasters(getConnection(), "$*", count)) {
    seen += keys.length;
    progress?.(seen, total);
    const groups: KeyGroup<IndexKey>[] = [];
    for (const { meta: view, keys: own } of grouped(keys, viewOf)) {
      const by = recogniserOf(view);
      const mine = own.flatMap((key) => indexKeyOf(by, key) ?? []);
      if (mine.length > 0) groups.push({ meta: view, keys: mine });
    }
    yield groups;
  }
}
