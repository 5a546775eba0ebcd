/**
 * SCAN for the CLI (never KEYS): the keys matching a pattern, in batches.
 */
import type { Redis } from "ioredis";

/** Whether a SCAN pattern holds a glob character; one without is a single key name. */
const isGlob = (pattern: string): boolean => /[*?[\\]/.test(pattern);

/**
 * Every key matching `pattern`, by SCAN with MATCH (COUNT `count`), one batch at a time. A pattern
 * without glob characters (`$Class:Book`) is one key: checked with EXISTS, not by walking the keyspace.
 */
export async function* scanKeys(redis: Redis, pattern: string, count = 1000): AsyncGenerator<string[]> {
  if (!isGlob(pattern)) {
    if ((await redis.exists(pattern)) === 1) yield [pattern];
    return;
  }
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", count);
    cursor = next;
    if (batch.length > 0) yield batch;
  } while (cursor !== "0");
}
