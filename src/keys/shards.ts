/**
 * Buckets of a sharded model (`Model("Event", fields, { shards: K })`, docs/storage.md §7a): which
 * bucket an instance is in, and the hash tag every key of a bucket carries.
 *
 * A bucket's tag is `{Event#b.n}`: `b` the bucket, `n` the smallest salt that puts the tag's
 * cluster slot inside the bucket's own 1/K of the slot space. Redis Cluster hands masters
 * contiguous slot ranges (`redis-cli --cluster create` splits 16384 slots evenly), so K buckets
 * whose slots are spread evenly over the range split evenly over any number of masters that
 * divides K: with K = 24, over 3, 6, 12 and 24 masters. A plain `{Event:b}` would land its slots
 * wherever CRC16 sends them, and 24 random slots leave one of 3 masters with 12 buckets as often
 * as not.
 */

/** Redis Cluster's slot count. */
export const CLUSTER_SLOTS = 16384;

/** The most buckets a model may have. */
export const MAX_SHARDS = 1024;

/**
 * CRC16-CCITT (XMODEM: polynomial 0x1021, initial 0), the checksum Redis Cluster takes modulo
 * 16384 to pick a key's slot.
 */
export const crc16 = (text: string): number => {
  let crc = 0;
  for (const byte of Buffer.from(text, "utf8")) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
};

/** The cluster slot of a key: CRC16 of its hash tag (the text of the first non-empty `{…}`), else of the key. */
export const keySlot = (key: string): number => {
  const open = key.indexOf("{");
  const close = open === -1 ? -1 : key.indexOf("}", open + 1);
  const hashed = close > open + 1 ? key.slice(open + 1, close) : key;
  return crc16(hashed) % CLUSTER_SLOTS;
};

/** FNV-1a, 32 bits, over the UTF-8 bytes: the stable hash that picks a bucket. */
export const fnv1a32 = (text: string): number => {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
};

/** The bucket of a text (the instance's key parts, or its shardBy parent's): FNV-1a-32 mod K. */
export const bucketOfText = (text: string, shards: number): number => fnv1a32(text) % shards;

/** First slot of bucket `b`'s slice of the slot space (the slice ends where bucket b + 1's starts). */
const sliceStart = (bucket: number, shards: number): number => Math.floor((bucket * CLUSTER_SLOTS) / shards);

const tags = new Map<string, string>();

/** `{Event#b.n}`: the hash tag of bucket `b` of a model with `shards` buckets (cached). */
export const bucketTag = (model: string, bucket: number, shards: number): string => {
  const id = `${model}\u0000${bucket}\u0000${shards}`;
  const cached = tags.get(id);
  if (cached !== undefined) return cached;
  const from = sliceStart(bucket, shards);
  const to = sliceStart(bucket + 1, shards);
  // A slice holds at least 16 slots (MAX_SHARDS = 1024), so some salt lands in it within a few
  // thousand tries for any name: CRC16 of short texts spreads over every slot.
  for (let salt = 0; ; salt++) {
    const inner = `${model}#${bucket}.${salt}`;
    const slot = crc16(inner) % CLUSTER_SLOTS;
    if (slot >= from && slot < to) {
      const tag = `{${inner}}`;
      tags.set(id, tag);
      return tag;
    }
  }
};

/** The tag that stands for "some bucket" in a plan built once and copied per bucket (`{Event#?}`). */
export const anyBucketTag = (model: string): string => `{${model}#?}`;

const TAG = /^\{([A-Za-z_][A-Za-z0-9_]*)#(\d+)\.(\d+)\}/;

/** The bucket a sharded key names by its tag (`{Event#3.17}:x` → 3), or undefined when it has no valid tag of `model`. */
export const bucketOfKey = (model: string, shards: number, key: string): number | undefined => {
  const found = TAG.exec(key);
  if (!found || found[1] !== model) return undefined;
  const bucket = Number(found[2]);
  if (bucket >= shards || bucketTag(model, bucket, shards) !== found[0]) return undefined;
  return bucket;
};

const shardCounts = new Map<string, number>();
const layoutCounts = new Map<string, Set<number>>();

/** Records a model's bucket count by name (Model() calls it), for code that knows a model only by name. */
export const registerShards = (model: string, shards: number): void => {
  layoutCounts.delete(model);
  if (shards > 1) {
    shardCounts.set(model, shards);
    layoutCounts.set(model, new Set([shards]));
  } else shardCounts.delete(model);
};

/** A model's declared bucket count by name: 1 when it is not sharded (or not defined). */
export const shardCountOf = (model: string): number => shardCounts.get(model) ?? 1;

/** Records a bucket count the model's instances were seen laid out in (its stored layout, a reshard's target). */
export const noteLayoutCount = (model: string, count: number): void => {
  if (count > 1) layoutCounts.get(model)?.add(count);
};

/**
 * The bucket counts a sharded model's keys may be spelled in, by name: the declared one and any
 * layout read from Redis (a key stored by another layout still names an instance of the model).
 */
export const layoutCountsOf = (model: string): readonly number[] => [...(layoutCounts.get(model) ?? [])];
