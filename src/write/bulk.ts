import { getConnection, wrapRedisError } from "../connection/connection.js";
import type { ModelMeta } from "../model/meta.js";
import { isNoScript, loadScripts, queueScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { batchReleases, releaseMany, takeBatchClaims, type BatchClaims } from "./bulk-claimed.js";
import { executeWrites } from "./execute-write.js";
import { planWrites, type Snapshot, type WriteCall, type WriteIntent } from "./plan-write.js";
import { pipelinedBySlot } from "./pipelined.js";
import { noteFingerprints, withFingerprints } from "./schema-section.js";

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
 * Writes that claim unique values of a sharded model take their claims in one pipelined round
 * before the batch's pipelines and release them in pipelined rounds after its retries
 * (src/write/bulk-claimed.ts).
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
    // A sharded model's unique values: the batch's claims in one pipelined round first.
    const claims = await takeBatchClaims(batch);
    const { results, models, calls } = await sendBatch(batch, claims);
    // The server forgot the script (restart, SCRIPT FLUSH): load it once and send again the writes
    // it refused (they did not run), in one more pipeline.
    const refused = results.flatMap(([error], i) => (isNoScript(error) ? [i] : []));
    if (refused.length > 0) {
      await loadScripts(getConnection(), [scripts.write]);
      const again = await sendBatch(
        refused.map((i) => batch[i] as WriteIntent),
        pick(claims, refused),
      );
      refused.forEach((i, j) => {
        results[i] = again.results[j] ?? [null, null];
        models[i] = again.models[j] ?? [];
        calls[i] = again.calls[j];
      });
    }
    const retry: number[] = [];
    const committed = new Map<number, WriteCall>();
    results.forEach(([error, reply], i) => {
      const list = reply as ScriptReply[] | null;
      if (!error && list && text(list[0]) === "OK") {
        existed[start + i] = list[1] === 1;
        noteFingerprints(models[i] ?? [], list[3]);
        const call = calls[i];
        if (call) committed.set(i, call);
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
    await releaseMany(batchReleases(batch, claims, committed));
    options.onProgress?.(Math.min(start + batch.length, intents.length), intents.length);
    if (failure !== undefined) throw failure;
  }
  return existed;
}

/** The claim round's decisions for some intents of a batch, renumbered in their order. */
const pick = (claims: BatchClaims, at: readonly number[]): BatchClaims => ({
  guards: at.map((i) => claims.guards[i]),
  contested: new Set(at.flatMap((i, j) => (claims.contested.has(i) ? [j] : []))),
  taken: new Map(at.flatMap((i, j) => (claims.taken.has(i) ? [[j, claims.taken.get(i) ?? []]] : []))),
});

/**
 * One pipeline of write.lua calls per slot, one call per intent; a claimed write carries the
 * fence guards of the claims the batch's round holds for it (src/write/bulk-claimed.ts). A
 * contested one is not sent here: its empty reply sends it through `executeWrites`, which takes
 * its claims with the full handling.
 */
async function sendBatch(
  batch: readonly WriteIntent[],
  claims: BatchClaims,
): Promise<{
  results: [Error | null, unknown][];
  models: (readonly ModelMeta[])[];
  calls: (WriteCall | undefined)[];
}> {
  const sent = batch.flatMap((intent, i) => {
    if (claims.contested.has(i)) return [];
    const call = planWrites([intent], claims.guards[i] ?? []);
    return [{ i, call, sent: withFingerprints(call, [intent]) }];
  });
  const replies = await pipelinedBySlot(
    sent,
    ({ sent }) => sent.keys[0] as string,
    (pipeline, { sent }) => queueScript(pipeline, scripts.write, sent.keys, sent.args),
  );
  const results: [Error | null, unknown][] = batch.map(() => [null, null]);
  // The models each write's fingerprint section names (its reply reports on them, in this order).
  const models: (readonly ModelMeta[])[] = batch.map(() => []);
  const calls: (WriteCall | undefined)[] = batch.map(() => undefined);
  sent.forEach(({ i, call, sent }, j) => {
    results[i] = replies[j] as [Error | null, unknown];
    models[i] = sent.models;
    calls[i] = call;
  });
  return { results, models, calls };
}

/** Stored snapshots of many instances of one model (one pipeline of HMGET per slot). */
export async function readSnapshots(meta: ModelMeta, keys: readonly string[]): Promise<Snapshot[]> {
  if (keys.length === 0) return [];
  const results = await pipelinedBySlot(
    keys,
    (key) => key,
    (pipeline, key) => pipeline.hmgetBuffer(key, ...meta.indexedFields),
  );
  return results.map(([error, values]) => {
    if (error) throw wrapRedisError(error);
    const list = values as (Buffer | null)[];
    if (list.every((v) => v === null)) return null;
    return new Map(meta.indexedFields.map((name, i) => [name, list[i] ?? undefined]));
  });
}
