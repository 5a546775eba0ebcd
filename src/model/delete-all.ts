import { getConnection, wrapRedisError } from "../connection/connection.js";
import { allBuckets, classSet } from "../keys/keys.js";
import { storedLayoutOf } from "../shards/tool-layout.js";
import type { BulkOptions } from "../write/bulk.js";
import { deleteKeys } from "./delete-many.js";
import type { ModelMeta } from "./meta.js";

/**
 * Deletes every instance of a model: the class set is read with SSCAN, one batch at a time, and
 * each batch deleted as `deleteKeys` does (atomically per instance, leftovers of expired
 * instances cleaned). Safe while the application writes; instances created meanwhile may stay.
 */
export async function deleteEverything(meta: ModelMeta, options: BulkOptions = {}): Promise<number> {
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  // A sharded model: every bucket's class set in turn, in its stored layout (refused mid-reshard).
  const stored = await storedLayoutOf(meta, "deleteAll()");
  const sets = allBuckets(stored).map((view) => classSet(view));
  let total: number;
  try {
    const counts = await Promise.all(sets.map((set) => getConnection().scard(set)));
    total = counts.reduce((a, b) => a + b, 0);
  } catch (error) {
    throw wrapRedisError(error);
  }
  let deleted = 0;
  let seen = 0;
  for (const set of sets) {
    let cursor = "0";
    do {
      let reply: [string, string[]];
      try {
        reply = await getConnection().sscan(set, cursor, "COUNT", batchSize);
      } catch (error) {
        throw wrapRedisError(error);
      }
      cursor = reply[0];
      if (reply[1].length === 0) continue;
      deleted += await deleteKeys(meta, reply[1], { batchSize });
      seen += reply[1].length;
      options.onProgress?.(Math.min(seen, total), total);
    } while (cursor !== "0");
  }
  return deleted;
}
