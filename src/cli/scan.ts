/**
 * SCAN for the CLI (never KEYS): the keys matching a pattern, in batches, over every master of a
 * cluster (see src/connection/masters.ts).
 */
import type { RedisClient } from "../connection/connection.js";
import { scanMasters } from "../connection/masters.js";

/**
 * Every key matching `pattern`, by SCAN with MATCH (COUNT `count`), one batch at a time. A pattern
 * without glob characters (`$Class:Book`) is one key: checked with EXISTS, not by walking the keyspace.
 */
export async function* scanKeys(redis: RedisClient, pattern: string, count = 1000): AsyncGenerator<string[]> {
  for await (const { keys } of scanMasters(redis, pattern, count)) yield keys;
}
