/**
 * `popoto export`: every instance of a model as one JSON line (docs/storage.md §10), read in
 * bounded batches: SSCAN of the class set (of each bucket's in turn, for a sharded model), then one
 * pipeline of HGETALLs per batch, so memory follows the batch size, not the model's size.
 */
import { storedLayoutOf } from "../shards/tool-layout.js";
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { CorruptDataError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import { allBuckets, classSet } from "../keys/keys.js";
import { decodeHash } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { fieldToJson, portableKey, type Json } from "./json-values.js";

export interface ExportOptions {
  /** Class-set members read per SSCAN and hashes per pipeline; default 500. */
  readonly batchSize?: number | undefined;
  /** Called after each batch: instances exported so far, and the class set's size at the start. */
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /** A row that does not decode: reported and left out (the export goes on). */
  readonly onCorrupt?: ((error: CorruptDataError) => void) | undefined;
}

/** One export line (without the newline) for a decoded instance. */
export function exportLine(meta: ModelMeta, key: string, values: ReadonlyMap<string, unknown>): string {
  const out: Record<string, Json> = {};
  for (const name of meta.fieldNames)
    out[name] = fieldToJson(meta.fields.get(name) as FieldSpec, values.get(name));
  return JSON.stringify({ model: meta.name, key: portableKey(key), values: out });
}

/**
 * Yields one line per instance of the model. A class-set member whose hash is gone (an expired
 * instance's leftover) is not an instance and is skipped; a SSCAN may return a member twice while
 * the set is rehashed, so keys already written are skipped too (the set of keys seen grows with
 * the model: an export of many millions of instances needs memory for their keys).
 */
export async function* exportModel(model: ModelMeta, options: ExportOptions = {}): AsyncGenerator<string> {
  const redis = getConnection();
  const meta = await storedLayoutOf(model, "export");
  const batchSize = Math.max(1, options.batchSize ?? 500);
  // A sharded model has a class set per bucket, each in its own slot: read one after another.
  const sets = allBuckets(meta).map((view) => classSet(view));
  const seen = new Set<string>();
  let total = 0;
  try {
    for (const set of sets) total += await redis.scard(set);
  } catch (error) {
    throw wrapRedisError(error);
  }
  let done = 0;
  for (const set of sets) {
    let cursor = "0";
    do {
      let keys: string[];
      let replies: [Error | null, unknown][];
      try {
        [cursor, keys] = await redis.sscan(set, cursor, "COUNT", batchSize);
        keys = keys.filter((key) => !seen.has(key));
        const pipeline = redis.pipeline();
        for (const key of keys) pipeline.hgetallBuffer(key);
        replies = keys.length === 0 ? [] : ((await pipeline.exec()) ?? []);
      } catch (error) {
        throw wrapRedisError(error);
      }
      for (const [i, key] of keys.entries()) {
        seen.add(key);
        const [error, reply] = replies[i] ?? [new Error("no reply"), null];
        if (error) throw wrapRedisError(error);
        const hash = reply as Record<string, Buffer>;
        if (Object.keys(hash).length === 0) continue;
        let values: Map<string, unknown>;
        try {
          values = decodeHash(meta, key, new Map(Object.entries(hash)));
        } catch (problem) {
          if (!(problem instanceof CorruptDataError)) throw problem;
          options.onCorrupt?.(problem);
          continue;
        }
        done++;
        yield exportLine(meta, key, values);
      }
      options.onProgress?.(done, total);
    } while (cursor !== "0");
  }
}
