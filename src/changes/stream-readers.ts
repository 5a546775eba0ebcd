/**
 * Blocking reads of several change streams on a cluster (a sharded model's bucket streams): Redis
 * refuses one XREADGROUP over keys of several slots (CROSSSLOT, even on one master), and a
 * connection blocked on one stream wakes for that stream only. So each stream gets a connection
 * of its own (a duplicate of popoto's, so popoto's other commands never queue behind a blocked
 * read), on which a loop claims idle entries and then blocks for new ones; an idle consumer sends
 * two commands per stream per `blockMs` and nothing else. The loops are merged as their batches
 * come: each stream in its order, the streams in no order between them (as before).
 */
import type { RedisClient } from "../connection/current.js";
import { claimedEntries, streamEntries, type RawEntry } from "./replies.js";

/** A batch of one stream's entries. */
export interface StreamBatch {
  readonly key: string;
  readonly entries: readonly RawEntry[];
}

/** What one stream's loop reads with. */
export interface StreamReadSettings {
  readonly group: string;
  readonly consumer: string;
  readonly count: number;
  readonly blockMs: number;
  readonly claimIdleMs: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * One stream read as the group's consumer on `reader`: entries other consumers left idle for
 * `claimIdleMs` (XAUTOCLAIM), then a read that blocks up to `blockMs` for new ones (0: until one
 * comes). A batch is handed over before the next command, so a slow consumer reads no further.
 */
export async function* readStream(
  reader: RedisClient,
  key: string,
  s: StreamReadSettings,
): AsyncGenerator<StreamBatch, void, undefined> {
  let cursor = "0-0";
  while (!s.signal?.aborted) {
    const claimed = claimedEntries(
      await reader.callBuffer(
        "XAUTOCLAIM",
        key,
        s.group,
        s.consumer,
        s.claimIdleMs,
        cursor,
        "COUNT",
        s.count,
      ),
    );
    cursor = claimed.cursor;
    if (claimed.entries.length > 0) yield { key, entries: claimed.entries };
    if (s.signal?.aborted) return;
    const reply = await reader.callBuffer(
      "XREADGROUP",
      "GROUP",
      s.group,
      s.consumer,
      "COUNT",
      s.count,
      "BLOCK",
      s.blockMs,
      "STREAMS",
      key,
      ">",
    );
    const entries = streamEntries(reply).get(key) ?? [];
    if (entries.length > 0) yield { key, entries };
  }
}

type Pulled = { readonly i: number; readonly result: IteratorResult<StreamBatch, void> };

/**
 * The batches of several stream loops, each as soon as it comes. A loop is asked for its next
 * batch only after its previous one was taken, which keeps each stream in its order. The first
 * loop that fails fails the whole; on return the loops are left to end when their connections
 * close (a loop blocked in a read cannot be returned before its read ends).
 */
export async function* mergeStreams(
  loops: readonly AsyncGenerator<StreamBatch, void, undefined>[],
): AsyncGenerator<StreamBatch, void, undefined> {
  const next = new Map<number, Promise<Pulled>>();
  const pull = (i: number): void => {
    const pulled = (loops[i] as AsyncGenerator<StreamBatch, void, undefined>)
      .next()
      .then((result) => ({ i, result }));
    // Settled later (or never looked at again, after a return): its failure must not go unhandled.
    pulled.catch(() => undefined);
    next.set(i, pulled);
  };
  loops.forEach((_, i) => pull(i));
  try {
    while (next.size > 0) {
      const { i, result } = await Promise.race(next.values());
      if (result.done) {
        next.delete(i);
        continue;
      }
      yield result.value;
      pull(i);
    }
  } finally {
    for (const loop of loops) loop.return(undefined).catch(() => undefined);
  }
}
