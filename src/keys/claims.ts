/**
 * Keys of the unique-value claims of sharded models (docs/storage.md §7a, "Unique values"). A
 * bucket's `$UniquF` and unique `$CompositeF` sets only see their own bucket, so each value that
 * must be unique across buckets has one claim, a hash in the value's own slot naming the
 * instance (so the bucket) that may hold it; a fence in a bucket stops writes that still carry a
 * claim taken away from that bucket.
 */
import { fnv1a32 } from "./shards.js";

/** `{Event#3.17}` of a sharded key (its bucket tag); "" for a key without one. */
export const bucketTagOf = (key: string): string => {
  const open = key.indexOf("{");
  const close = open === -1 ? -1 : key.indexOf("}", open + 1);
  return close === -1 ? "" : key.slice(open, close + 1);
};

/** Whether two keys of a sharded model carry the same bucket tag (so share a slot). */
export const sameBucket = (a: string, b: string): boolean => {
  const tag = bucketTagOf(a);
  return tag !== "" && tag === bucketTagOf(b);
};

/**
 * The value part of a unique set of a sharded bucket: `email:ann@x` of `$UniquF:{Event#3.17}:email:ann@x`,
 * `a+b:x:1` of `$CompositeF:{Event#3.17}:a+b:x:1` (field names are identifiers, so a field and an
 * index, whose name holds `+`, never share a body).
 */
const setBody = (uniqueSet: string): string => uniqueSet.slice(uniqueSet.indexOf("}") + 2);

/**
 * `$UniqueClaim:{Event@1c9f04d2}:email:ann@x` (HASH: `token`, `holder`, `at`): the claim of one
 * value of a unique field (or combination of a unique composite index) of a sharded model. The
 * hash tag is the model and the FNV-1a-32 of the value's body in hex, so claims of different
 * values spread over every slot, and a value's text (which may hold `{` or `}`) never shapes the
 * tag.
 */
export const claimKey = (model: string, uniqueSet: string): string => {
  const body = setBody(uniqueSet);
  const hash = fnv1a32(`${model}:${body}`).toString(16).padStart(8, "0");
  return `$UniqueClaim:{${model}@${hash}}:${body}`;
};

/** SCAN pattern of a model's claims (every slot: one per value). */
export const claimKeyPattern = (model: string): string => `$UniqueClaim:{${model}@*`;

/**
 * `$UniqueFence:{Event#3.17}:<token>` (SET, expires after a day): the claim with that token was
 * taken from the bucket of `instanceKey`, so a write there that carries it must fail (it is
 * guarded to be empty). In the bucket's slot, so the write script checks it atomically.
 */
export const claimFence = (instanceKey: string, token: string): string =>
  `$UniqueFence:${bucketTagOf(instanceKey)}:${token}`;

/** The same unique set in the bucket of `instanceKey` (the tag replaced). */
export const uniqueSetInBucketOf = (uniqueSet: string, instanceKey: string): string => {
  const from = bucketTagOf(uniqueSet);
  const at = uniqueSet.indexOf(from);
  return uniqueSet.slice(0, at) + bucketTagOf(instanceKey) + uniqueSet.slice(at + from.length);
};
