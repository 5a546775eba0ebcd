import { getConnection, wrapRedisError } from "../connection/connection.js";
import type { ModelMeta } from "../model/meta.js";
import { isNoScript, loadScripts, queueScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { slotGroup } from "../keys/keys.js";
import { needsClaims } from "./claims.js";
import { executeWrites } from "./execute-write.js";
import { routeOne } from "./route-writes.js";
import { planWrites, type Snapshot, type WriteIntent } from "./plan-write.js";
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
    const { results, models } = await sendBatch(batch);
    // The server forgot the script (restart, SCRIPT FLUSH): load it once and send again the writes
    // it refused (they did not run), in one more pipeline.
    const refused = results.flatMap(([error], i) => (isNoScript(error) ? [i] : []));
    if (refused.length > 0) {
      await loadScripts(getConnection(), [scripts.write]);
      const again = await sendBatch(refused.map((i) => batch[i] as WriteIntent));
      refused.forEach((i, j) => {
        results[i] = again.results[j] ?? [null, null];
      });
    }
    const retry: number[] = [];
    results.forEach(([error, reply], i) => {
      const list = reply as ScriptReply[] | null;
      if (!error && list && text(list[0]) === "OK") {
        existed[start + i] = list[1] === 1;
        noteFingerprints(models[i] ?? [], list[3]);
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

/**
 * Runs `items` as pipelines, one per slot group of `keyOf(item)` (all at once), and returns the
 * replies in the order of `items`. A cluster pipeline must stay on one node, and a sharded
 * model's instances are in several slots; on a standalone server this is one pipeline.
 */
async function pipelinedBySlot<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  queue: (pipeline: ReturnType<ReturnType<typeof getConnection>["pipeline"]>, item: T) => void,
): Promise<[Error | null, unknown][]> {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const slot = slotGroup(keyOf(item));
    const group = groups.get(slot);
    if (group) group.push(i);
    else groups.set(slot, [i]);
  });
  const results = new Array<[Error | null, unknown]>(items.length);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const pipeline = getConnection().pipeline();
      for (const i of group) queue(pipeline, items[i] as T);
      let replies: [Error | null, unknown][];
      try {
        replies = (await pipeline.exec()) ?? [];
      } catch (error) {
        throw wrapRedisError(error);
      }
      group.forEach((i, j) => (results[i] = replies[j] ?? [null, null]));
    }),
  );
  return results;
}

/**
 * One pipeline of write.lua calls per slot, one call per intent. A write that takes unique claims
 * (a sharded model's UniqueField, src/write/claims.ts) is not sent here: its empty reply sends
 * it through `executeWrites`, which takes them first.
 */
async function sendBatch(
  batch: readonly WriteIntent[],
): Promise<{ results: [Error | null, unknown][]; models: (readonly ModelMeta[])[] }> {
  // A sharded model's write goes to the bucket its stored layout routes it to, with that bucket's
  // retired guard; one that must wait for the mover (or fails its guard) is retried alone.
  const routes = batch.some((intent) => intent.meta.shards > 1)
    ? await Promise.all(
        batch.map((intent) =>
          intent.meta.shards > 1 && !needsClaims(intent.meta) ? routeOne(intent) : undefined,
        ),
      )
    : undefined;
  const sent = batch.flatMap((intent, i) => {
    if (needsClaims(intent.meta)) return [];
    const routed = routes?.[i];
    if (routed === "wait") return [];
    if (routed === undefined) return [{ i, call: withFingerprints(planWrites([intent]), [intent]) }];
    return [{ i, call: withFingerprints(planWrites([routed.intent], [routed.guard]), [routed.intent]) }];
  });
  const replies = await pipelinedBySlot(
    sent,
    ({ call }) => call.keys[0] as string,
    (pipeline, { call }) => queueScript(pipeline, scripts.write, call.keys, call.args),
  );
  const results: [Error | null, unknown][] = batch.map(() => [null, null]);
  // The models each write's fingerprint section names (its reply reports on them, in this order).
  const models: (readonly ModelMeta[])[] = batch.map(() => []);
  sent.forEach(({ i, call }, j) => {
    results[i] = replies[j] as [Error | null, unknown];
    models[i] = call.models;
  });
  return { results, models };
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
