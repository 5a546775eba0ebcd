/**
 * Entries in a sharded model's bucket that name an instance outside the bucket (another bucket's
 * key, or no key of the model at all). No write puts one there: an instance's entries live in its
 * own bucket (docs/storage.md §7a), so each is stale whatever that instance holds. Its instance is
 * in another slot (another master of a cluster), so such an entry is confirmed and removed by
 * itself (SISMEMBER / ZSCORE, then SREM / ZREM, all in the bucket's slot), never through the write
 * script, which keeps to one slot.
 */
import { bucketOfInstanceKey, expectedKeyType } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { redis } from "./rows.js";
import type { Tally } from "./tally.js";
import type { IndexDifference } from "./types.js";

/** True when `instance` is not a key of the bucket whose view `meta` is (always false on an unsharded model). */
export const isForeign = (meta: ModelMeta, instance: string): boolean =>
  meta.bucket !== undefined && meta.bucket >= 0 && bucketOfInstanceKey(meta, instance) !== meta.bucket;

/** Reports (or, with `repair`, removes) the foreign entries that are still in their index when read again. */
export async function foreignEntries(
  found: readonly IndexDifference[],
  tally: Tally,
  repair: boolean,
): Promise<void> {
  if (found.length === 0) return;
  const isSet = (d: IndexDifference): boolean => expectedKeyType(d.index) === "set";
  const read = redis().pipeline();
  for (const d of found) {
    if (isSet(d)) read.sismember(d.index, d.member);
    else read.zscore(d.index, d.member);
  }
  const replies = (await read.exec()) ?? [];
  const still = found.filter((d, i) => {
    const [error, reply] = replies[i] ?? [null, null];
    return !error && (isSet(d) ? reply === 1 : reply !== null);
  });
  if (!repair) {
    for (const d of still) tally.addDifference(d);
    return;
  }
  if (still.length === 0) return;
  const remove = redis().pipeline();
  for (const d of still) {
    if (isSet(d)) remove.srem(d.index, d.member);
    else remove.zrem(d.index, d.member);
  }
  const removed = (await remove.exec()) ?? [];
  tally.removed += removed.filter(([error, count]) => !error && count === 1).length;
}
