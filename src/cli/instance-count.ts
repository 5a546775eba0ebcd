/**
 * How many instances a model has, for a command's progress bar: its class set's size, summed over
 * the buckets of a sharded model (one class set per bucket, each in its own slot: one SCARD each).
 */
import type { RedisClient } from "../connection/connection.js";
import { allBuckets, classSet } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";

export async function instanceCount(redis: RedisClient, meta: ModelMeta): Promise<number> {
  const counts = await Promise.all(allBuckets(meta).map((view) => redis.scard(classSet(view))));
  return counts.reduce((a, b) => a + b, 0);
}
