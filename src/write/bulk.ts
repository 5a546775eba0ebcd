import { getConnection, wrapRedisError } from "../connection/connection.js";
import type { ModelMeta } from "../model/meta.js";
import { isNoScript, loadScripts, queueScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { executeWrites } from "./execute-write.js";
import { planWrites, type Snapshot, type WriteIntent } from "./plan-write.js";
import { fingerprintModels, noteFingerprints, withFingerprints } from "./schema-section.js";

/** Progress of a bulk operation: instances done so far, of the total. */
export type ProgressCallback = (done: number, total: number) => void;

export interface BulkOptions {
  /** Instances per pipeline (one round trip each); default 1000. */
  readonly batchSize?: number | undefined;
  readonly onProgress?: ProgressCallback | undefined;
}

const text = (reply: unknown): string => (Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply));

/**
 * Runs many single-instance writes with one pipeline per batch: each write is its own atomic
 * script, so batching only saves round trips. A write whose assumption failed (stored state
 * changed, script not loaded, unique holder expired…) is retried alone, with the full handling
 * of `executeWrites`. Returns per intent whether its stored hash existed; the first error that a
 * retry cannot resolve is thrown after the batch it belongs to has been sent. `onWritten` hears
 * the index of every intent Redis committed, as soon as its reply is in (before that throw).
 */
export async function executeBulk(
  intents: readonly WriteIntent[],
  options: BulkOptions = {},
  onWritten?: (index: number) => void,
  /** Errors of single writes to pass over (their intent counts as not existing), not throw. */
  tolerate?: (error: unknown) => boolean,
): Promise<boolean[]> {
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const existed: boolean[] = new Array<boolean>(intents.length).fill(false);
  let failure: unknown;
  for (let start = 0; start < intents.length; start += batchSize) {
    const batch = intents.slice(start, start + batchSize);
    const results = await sendBatch(batch);
    // The server forgot the script (restart, SCRIPT FLUSH): load it once and send again the writes
    // it refused (they did not run), in one more pipeline.
    const refused = results.flatMap(([error], i) => (isNoScript(error) ? [i] : []));
    if (refused.length > 0) {
      await loadScripts(getConnection(), [scripts.write]);
      const again = await sendBatch(refused.map((i) => batch[i] as WriteIntent));
      refused.forEach((i, j) => {
        results[i] = again[j] ?? [null, null];
      });
    }
    const retry: number[] = [];
    results.forEach(([error, reply], i) => {
      const list = reply as ScriptReply[] | null;
      if (!error && list && text(list[0]) === "OK") {
        existed[start + i] = list[1] === 1;
        const intent = batch[i] as WriteIntent;
        noteFingerprints(fingerprintModels([intent]), list[3]);
        onWritten?.(start + i);
      } else retry.push(i);
    });
    for (const i of retry) {
      try {
        const [was] = await executeWrites([batch[i] as WriteIntent]);
        existed[start + i] = was === true;
        onWritten?.(start + i);
      } catch (error) {
        if (!tolerate?.(error)) failure ??= error;
      }
    }
    options.onProgress?.(Math.min(start + batch.length, intents.length), intents.length);
    if (failure !== undefined) throw failure;
  }
  return existed;
}

/** One pipeline of write.lua calls, one per intent. */
async function sendBatch(batch: readonly WriteIntent[]): Promise<[Error | null, unknown][]> {
  const pipeline = getConnection().pipeline();
  for (const intent of batch) {
    const call = withFingerprints(planWrites([intent]), [intent]);
    queueScript(pipeline, scripts.write, call.keys, call.args);
  }
  try {
    return (await pipeline.exec()) ?? [];
  } catch (error) {
    throw wrapRedisError(error);
  }
}

/** Stored snapshots of many instances of one model (one pipeline of HMGET). */
export async function readSnapshots(meta: ModelMeta, keys: readonly string[]): Promise<Snapshot[]> {
  if (keys.length === 0) return [];
  const pipeline = getConnection().pipeline();
  for (const key of keys) pipeline.hmgetBuffer(key, ...meta.indexedFields);
  let results: [Error | null, unknown][];
  try {
    results = (await pipeline.exec()) ?? [];
  } catch (error) {
    throw wrapRedisError(error);
  }
  return results.map(([error, values]) => {
    if (error) throw wrapRedisError(error);
    const list = values as (Buffer | null)[];
    if (list.every((v) => v === null)) return null;
    return new Map(meta.indexedFields.map((name, i) => [name, list[i] ?? undefined]));
  });
}
