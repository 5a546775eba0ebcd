/**
 * The SCAN walks of the index tools (never KEYS): a model's instance keys, and its index keys
 * (with the Redis type popoto keeps at each), one batch at a time, over every master of a cluster.
 */
import { getConnection } from "../connection/connection.js";
import { scanMasters, totalKeys } from "../connection/masters.js";
import { splitKey } from "../keys/escape.js";
import { indexKeyPatterns, indexValuesHash, instanceKeyPattern } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";

/** An index structure (a `$Index` hash: `hash`), or a ttl shadow hash (`$IndexValues:…`). */
export interface IndexKey {
  readonly key: string;
  readonly type: "set" | "zset" | "hash" | "shadow";
}

/** Calls `progress(done, total)` with keys scanned so far and the database's size. */
export type WalkProgress = (done: number, total: number) => void;

/** The model's instance keys (`Book:*` with as many parts as the model's key), by SCAN MATCH. */
export async function* instanceKeys(
  meta: ModelMeta,
  count: number,
  progress?: WalkProgress,
): AsyncGenerator<string[]> {
  const parts = meta.keyFields.length + 1;
  const total = await totalKeys(getConnection());
  let seen = 0;
  for await (const { keys } of scanMasters(getConnection(), instanceKeyPattern(meta), count)) {
    seen += keys.length;
    progress?.(seen, total);
    yield keys.filter((key) => !key.startsWith("$") && splitKey(key).length === parts);
  }
}

/**
 * The model's index keys and ttl shadows, by one SCAN MATCH `$*` (the patterns differ only by
 * their `$` prefix, and SCAN MATCH filters after reading anyway, so one walk costs as much as one).
 */
export async function* indexKeys(
  meta: ModelMeta,
  count: number,
  progress?: WalkProgress,
): AsyncGenerator<IndexKey[]> {
  // Every pattern is a prefix followed by `*`, or one exact key (the class set, a `$Index` hash).
  const patterns = indexKeyPatterns(meta).map((p) => ({
    prefix: p.pattern.endsWith("*") ? p.pattern.slice(0, -1) : p.pattern,
    exact: !p.pattern.endsWith("*"),
    type: p.type,
  }));
  const shadowPrefix = indexValuesHash(meta, "");
  const total = await totalKeys(getConnection());
  let seen = 0;
  for await (const { keys } of scanMasters(getConnection(), "$*", count)) {
    seen += keys.length;
    progress?.(seen, total);
    const mine: IndexKey[] = [];
    for (const key of keys) {
      if (key.startsWith(shadowPrefix)) {
        mine.push({ key, type: "shadow" });
        continue;
      }
      const match = patterns.find((p) => (p.exact ? key === p.prefix : key.startsWith(p.prefix)));
      if (match) mine.push({ key, type: match.type });
    }
    yield mine;
  }
}
