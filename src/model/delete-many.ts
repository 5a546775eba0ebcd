import { executeBulk, readSnapshots, type BulkOptions } from "../write/bulk.js";
import { inLayout } from "../keys/keys.js";
import { indexEntries } from "../write/index-entries.js";
import type { WriteIntent } from "../write/plan-write.js";
import { valuesFromKey } from "./hash.js";
import type { ModelMeta } from "./meta.js";
import { deleteInSteps } from "./delete-sequence.js";
import { hasDeleteActions } from "./on-delete.js";

/**
 * Deletes many instances by key, each atomically with all its index entries. Batched: one
 * pipeline of snapshot reads and one of delete scripts per batch. When relationships point at the
 * model with an `onDelete` action, each batch is one delete sequence (bounded per-slot steps).
 * Returns how many existed.
 */
export async function deleteKeys(
  meta: ModelMeta,
  keys: readonly string[],
  options: BulkOptions = {},
): Promise<number> {
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  // On a cluster, a key given in the standalone spelling (`Book:Dune`) names `{Book}:Dune`.
  keys = keys.map((key) => inLayout(meta, key));
  if (hasDeleteActions(meta)) {
    // One delete sequence per batch: its targets' referrers are read, and written in bounded
    // per-slot steps, together (src/model/delete-sequence.ts).
    let deleted = 0;
    const unique = [...new Set(keys)];
    for (let start = 0; start < unique.length; start += batchSize) {
      const batch = unique.slice(start, start + batchSize);
      const existed = await deleteInSteps(
        meta,
        batch.map((key) => ({ meta, key })),
      );
      deleted += existed.filter(Boolean).length;
      options.onProgress?.(Math.min(start + batch.length, unique.length), unique.length);
    }
    return deleted;
  }
  let deleted = 0;
  for (let start = 0; start < keys.length; start += batchSize) {
    const batch = keys.slice(start, start + batchSize);
    const snapshots = await readSnapshots(meta, batch);
    // A key whose hash is gone (expired, or deleted by another client) is purged: its entries come
    // from the ttl shadow or from the key itself, as the stored hash cannot name them.
    const existed = await executeBulk(
      batch.map((key, i): WriteIntent =>
        snapshots[i]
          ? { meta, kind: "delete", oldKey: key, expected: snapshots[i] ?? null }
          : {
              meta,
              kind: "purge",
              oldKey: key,
              expected: null,
              fallbackEntries: indexEntries(meta, key, valuesFromKey(meta, key)),
            },
      ),
      { batchSize },
    );
    deleted += existed.filter(Boolean).length;
    options.onProgress?.(Math.min(start + batch.length, keys.length), keys.length);
  }
  return deleted;
}
