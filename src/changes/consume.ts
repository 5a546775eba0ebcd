/**
 * A consumer-group reader of a model's change feed: an async iterator of typed events that
 * resumes where the group left off. Delivery is at least once: an event stays pending in the
 * group (XPENDING) until `ack()`, and is delivered again to the same consumer after a restart,
 * or claimed (XAUTOCLAIM) by another consumer of the group once it has been idle `claimIdleMs`.
 */
import { getConnection, wrapRedisError, type RedisClient } from "../connection/connection.js";
import { PopotoError } from "../errors.js";
import type { ModelMeta } from "../model/meta.js";
import { decodeEntry, type ChangeEvent } from "./entry.js";
import { claimedEntries, groupEntries, type RawEntry } from "./replies.js";

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

/** Reads the change feed `key` of `meta` as consumer `options.consumer` of `options.group`. */
export async function* consumeChanges<TValues>(
  meta: ModelMeta,
  key: string,
  options: ConsumeOptions,
): AsyncGenerator<ConsumedChange<TValues>, void, undefined> {
  const { group, consumer, from, count, blockMs, claimIdleMs } = consumeSettings(meta, options);
  const signal = options.signal;
  if (signal?.aborted) return;
  const main = getConnection();
  // XREADGROUP BLOCK holds its connection until entries come: on popoto's own connection it would
  // stall every other command of the application meanwhile.
  const reader = main.duplicate();
  const interrupt = (): void => reader.disconnect();
  signal?.addEventListener("abort", interrupt, { once: true });
  const ack = async (id: string): Promise<void> => {
    try {
      await main.xack(key, group, id);
    } catch (error) {
      throw wrapRedisError(error, [key]);
    }
  };
  const event = (entry: RawEntry): ConsumedChange<TValues> => ({
    ...decodeEntry<TValues>(meta, key, entry.id, entry.fields ?? []),
    ack: () => ack(entry.id),
  });
  const read = async (...args: (string | number)[]): Promise<RawEntry[]> =>
    groupEntries(await reader.callBuffer("XREADGROUP", "GROUP", group, consumer, "COUNT", count, ...args));
  try {
    await ensureGroup(reader, key, group, from);
    // This consumer's own pending entries first: delivered before a restart, never acknowledged.
    for (let after = "0"; ;) {
      const entries = await read("STREAMS", key, after);
      if (entries.length === 0) break;
      for (const entry of entries) {
        after = entry.id;
        // Trimmed (MAXLEN) while pending: nothing left to deliver.
        if (entry.fields === null) await ack(entry.id);
        else yield event(entry);
      }
    }
    let cursor = "0-0";
    while (!signal?.aborted) {
      // Entries another consumer left unacknowledged for claimIdleMs (it crashed, or gave up).
      const claimed = claimedEntries(
        await reader.callBuffer("XAUTOCLAIM", key, group, consumer, claimIdleMs, cursor, "COUNT", count),
      );
      cursor = claimed.cursor;
      for (const entry of claimed.entries) yield event(entry);
      if (signal?.aborted) break;
      for (const entry of await read("BLOCK", blockMs, "STREAMS", key, ">")) yield event(entry);
    }
  } catch (error) {
    if (signal?.aborted) return;
    throw wrapRedisError(error, [key]);
  } finally {
    signal?.removeEventListener("abort", interrupt);
    reader.disconnect();
  }
}
