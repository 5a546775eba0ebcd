/**
 * A consumer-group reader of a model's change feed: an async iterator of typed events that
 * resumes where the group left off. Delivery is at least once: an event stays pending in the
 * group (XPENDING) until `ack()`, and is delivered again to the same consumer after a restart,
 * or claimed (XAUTOCLAIM) by another consumer of the group once it has been idle `claimIdleMs`.
 *
 * A sharded model has one stream per bucket (docs/storage.md §7a): the group is created on each,
 * and each read names them all; on a cluster, where one command cannot name several slots, each
 * stream is read on a connection of its own, blocking (src/changes/stream-readers.ts).
 */
import {
  duplicateConnection,
  getConnection,
  isClusterMode,
  wrapRedisError,
  type RedisClient,
} from "../connection/connection.js";
import { PopotoError } from "../errors.js";
import type { ModelMeta } from "../model/meta.js";
import { decodeEntry, type ChangeEvent } from "./entry.js";
import { claimedEntries, streamEntries, type RawEntry } from "./replies.js";
import { mergeStreams, readStream } from "./stream-readers.js";

/** Options of `Model.changes.consume()`. */
export interface ConsumeOptions {
  /** The consumer group: each event goes to one consumer of the group. */
  readonly group: string;
  /** This consumer's name in the group; a restart under the same name gets its unacknowledged events again. */
  readonly consumer: string;
  /**
   * Where a group created by this call starts: "0" (default: every entry the stream still holds),
   * "$" (only writes from now on), or an entry id (the entries after it). An existing group
   * keeps its position.
   */
  readonly from?: string | undefined;
  /** Stops the iteration (a blocked read is interrupted). */
  readonly signal?: AbortSignal | undefined;
  /** Entries fetched per read (XREADGROUP COUNT); default 50. */
  readonly count?: number | undefined;
  /** How long one read waits for new entries before looking for idle ones, in ms; default 5000. */
  readonly blockMs?: number | undefined;
  /** How long another consumer's event stays unacknowledged before this one claims it, in ms; default 180 000. */
  readonly claimIdleMs?: number | undefined;
}

/** An event delivered to a consumer group: acknowledge it once handled. */
export interface ConsumedChange<TValues> extends ChangeEvent<TValues> {
  /** XACK: the group stops delivering this event. */
  ack(): Promise<void>;
}

const badOption = (meta: ModelMeta, message: string): PopotoError =>
  new PopotoError("VALIDATION", `${meta.name}.changes.consume(): ${message}`, { model: meta.name });

const wholeNumber = (
  meta: ModelMeta,
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
): number => {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min)
    throw badOption(meta, `${name} must be a whole number of at least ${min}, got ${String(value)}.`);
  return value;
};

const checkName = (meta: ModelMeta, name: string, value: unknown): string => {
  if (typeof value !== "string" || value === "")
    throw badOption(
      meta,
      `${name} must be a non-empty string (the consumer group's ${name}), got ${JSON.stringify(value)}.`,
    );
  return value;
};

/** The settings of one consume() call, checked before anything is sent. */
export const consumeSettings = (meta: ModelMeta, options: ConsumeOptions) => ({
  group: checkName(meta, "group", options.group),
  consumer: checkName(meta, "consumer", options.consumer),
  from: options.from ?? "0",
  count: wholeNumber(meta, "count", options.count, 50, 1),
  blockMs: wholeNumber(meta, "blockMs", options.blockMs, 5000, 0),
  claimIdleMs: wholeNumber(meta, "claimIdleMs", options.claimIdleMs, 180_000, 0),
});

async function ensureGroup(reader: RedisClient, key: string, group: string, from: string): Promise<void> {
  try {
    // MKSTREAM: a group can be declared before the model's first write.
    await reader.xgroup("CREATE", key, group, from, "MKSTREAM");
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
  }
}

/**
 * Reads the change feed of `meta` (the streams `keys`: one, or one per bucket of a sharded model)
 * as consumer `options.consumer` of `options.group`. Events of one stream come in its order;
 * streams have no order between them.
 */
export async function* consumeChanges<TValues>(
  meta: ModelMeta,
  keys: readonly string[],
  options: ConsumeOptions,
): AsyncGenerator<ConsumedChange<TValues>, void, undefined> {
  const { group, consumer, from, count, blockMs, claimIdleMs } = consumeSettings(meta, options);
  const signal = options.signal;
  if (signal?.aborted) return;
  const main = getConnection();
  // XREADGROUP BLOCK holds its connection until entries come: on popoto's own connection it would
  // stall every other command of the application meanwhile.
  const reader = duplicateConnection();
  // On a cluster with several streams, a connection per stream (the first is `reader`).
  const readers: RedisClient[] = [reader];
  const interrupt = (): void => {
    for (const each of readers) each.disconnect();
  };
  signal?.addEventListener("abort", interrupt, { once: true });
  // The keys one XREADGROUP may name together: all of them on one server; on a cluster those of
  // one slot (a sharded model's bucket streams are each in their own slot).
  const calls: (readonly string[])[] = isClusterMode() ? keys.map((key) => [key]) : [keys];
  const ack = async (key: string, id: string): Promise<void> => {
    try {
      await main.xack(key, group, id);
    } catch (error) {
      throw wrapRedisError(error, [key]);
    }
  };
  const event = (key: string, entry: RawEntry): ConsumedChange<TValues> => ({
    ...decodeEntry<TValues>(meta, key, entry.id, entry.fields ?? []),
    ack: () => ack(key, entry.id),
  });
  /** XREADGROUP of `streams` from the id each is mapped to: one call per group of keys, all at once. */
  const read = async (
    streams: ReadonlyMap<string, string>,
    block?: number,
  ): Promise<Map<string, RawEntry[]>> => {
    const found = new Map<string, RawEntry[]>();
    const replies = await Promise.all(
      calls
        .map((names) => names.filter((name) => streams.has(name)))
        .filter((names) => names.length > 0)
        .map((names) =>
          reader.callBuffer(
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "COUNT",
            count,
            ...(block === undefined ? [] : ["BLOCK", block]),
            "STREAMS",
            ...names,
            ...names.map((name) => streams.get(name) as string),
          ),
        ),
    );
    for (const reply of replies) for (const [key, entries] of streamEntries(reply)) found.set(key, entries);
    return found;
  };
  try {
    await Promise.all(keys.map((key) => ensureGroup(reader, key, group, from)));
    // This consumer's own pending entries first: delivered before a restart, never acknowledged.
    const pending = new Map(keys.map((key) => [key, "0"]));
    while (pending.size > 0) {
      const found = await read(pending);
      for (const key of [...pending.keys()]) {
        const entries = found.get(key) ?? [];
        if (entries.length === 0) pending.delete(key);
        for (const entry of entries) {
          pending.set(key, entry.id);
          // Trimmed (MAXLEN) while pending: nothing left to deliver.
          if (entry.fields === null) await ack(key, entry.id);
          else yield event(key, entry);
        }
      }
    }
    if (calls.length > 1) {
      // A cluster and several streams: each blocks on its own connection, merged as batches come.
      for (let i = 1; i < keys.length; i++) readers.push(duplicateConnection());
      const settings = { group, consumer, count, blockMs, claimIdleMs, signal };
      const batches = mergeStreams(
        keys.map((key, i) => readStream(readers[i] as RedisClient, key, settings)),
      );
      for await (const { key, entries } of batches) for (const entry of entries) yield event(key, entry);
      return;
    }
    const cursors = new Map(keys.map((key) => [key, "0-0"]));
    const fresh = new Map(keys.map((key) => [key, ">"]));
    while (!signal?.aborted) {
      // Entries another consumer left unacknowledged for claimIdleMs (it crashed, or gave up).
      const claims = await Promise.all(
        keys.map(async (key) => ({
          key,
          claimed: claimedEntries(
            await reader.callBuffer(
              "XAUTOCLAIM",
              key,
              group,
              consumer,
              claimIdleMs,
              cursors.get(key) as string,
              "COUNT",
              count,
            ),
          ),
        })),
      );
      for (const { key, claimed } of claims) {
        cursors.set(key, claimed.cursor);
        for (const entry of claimed.entries) yield event(key, entry);
      }
      if (signal?.aborted) break;
      // One call names every stream: one blocking read.
      const found = await read(fresh, blockMs);
      for (const [key, entries] of found) for (const entry of entries) yield event(key, entry);
    }
  } catch (error) {
    if (signal?.aborted) return;
    throw wrapRedisError(error, [...keys]);
  } finally {
    signal?.removeEventListener("abort", interrupt);
    interrupt();
  }
}
