/** The baseline's batched reads and checked transactions. */
import type { ChainableCommander, Redis } from "ioredis";
import type { StoredHash } from "./records.js";

/** Runs a pipeline or MULTI/EXEC block (one round trip) and throws its first error. */
export async function execChecked(commands: ChainableCommander): Promise<unknown[]> {
  const results = (await commands.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** HGETALL of every key in one pipeline (one round trip). */
export async function readHashes(redis: Redis, keys: readonly string[]): Promise<StoredHash[]> {
  if (keys.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetallBuffer(key);
  return (await execChecked(pipeline)) as StoredHash[];
}
