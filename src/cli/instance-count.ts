/**
 * How many instances a model has, for a command's progress bar: its class set's size, summed over
 * the buckets of a sharded model (one class set per bucket, each in its own slot: one SCARD each).
 */
import type { RedisClient } from "../connection/connection.js";
import { allBuckets, classSet, layoutView } from "../keys/keys.js";
import { refreshLayout } from "../shards/layout.js";
import type { ModelMeta } from "../model/meta.js";

export async function instanceCount(redis: RedisClient, meta: ModelMeta): Promise<number> {
  // A sharded model's stored layout (the new one while a reshard moves it: an estimate either way).
  const layout = meta.shards > 1 ? await refreshLayout(meta) : undefined;
  const stored = layout ? layoutView(meta, layout.to ?? layout.count) : meta;
  const counts = await Promise.all(allBuckets(stored).map((view) => redis.scard(classSet(view))));
  return counts.reduce((a, b) => a + b, 0);
}
