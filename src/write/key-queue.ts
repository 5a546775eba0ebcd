import type { Snapshot } from "./plan-write.js";

/**
 * Writes to one instance key from this process, one at a time. A write whose stored-state check
 * would fail because another write of this process just landed is then planned from that
 * write's result (`latest`) instead of racing it: in one process, checked writes to a hot row
 * take one round trip each and never lose to each other. Other processes are met by the
 * executor's backoff.
 *
 * Coalescing: while one write to a key is in flight, the writes queued behind it wait; when it
 * settles, the next write and every write of the same `group` directly behind it run as one
 * batch (increments of one field add up in one script, successive saves of one row become one
 * write). The first write to an idle key runs at once, alone, so coalescing adds no latency.
 */

/** One caller's outcome in a batch. */
export type Settled<R> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/** Runs a batch of payloads as few writes as it can; one outcome per payload, in order. */
export type BatchRunner<P, R> = (payloads: P[]) => Promise<Settled<R>[]>;

interface Job {
  readonly group: string | undefined;
  readonly payload: unknown;
  readonly run: BatchRunner<unknown, unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Lane {
  readonly queue: Job[];
  running: boolean;
  /** The stored state the last write of this lane left (indexed fields' bytes), if known. */
  latest: Snapshot | undefined;
}

/** At most this many writes in one batch (a script's arguments stay well below Lua's limits). */
const MAX_BATCH = 256;

const lanes = new Map<string, Lane>();

/** The state the previous write to `key` from this process left, while writes to it are queued. */
export const latestState = (key: string): Snapshot | undefined => lanes.get(key)?.latest;

/** Notes the state a write left at `key`, for the next queued write to plan from. */
export const noteState = (key: string, state: Snapshot | undefined): void => {
  const lane = lanes.get(key);
  if (lane) lane.latest = state;
};

async function drain(key: string, lane: Lane): Promise<void> {
  lane.running = true;
  for (let first = lane.queue.shift(); first; first = lane.queue.shift()) {
    const batch = [first];
    if (first.group !== undefined)
      while (lane.queue[0]?.group === first.group && batch.length < MAX_BATCH)
        batch.push(lane.queue.shift() as Job);
    let outcomes: Settled<unknown>[];
    try {
      outcomes = await first.run(batch.map((job) => job.payload));
    } catch (error) {
      outcomes = batch.map(() => ({ ok: false, error }));
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i] ?? {
        ok: false,
        error: new Error("popoto: a batched write had no outcome"),
      };
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
  lane.running = false;
  if (lanes.get(key) === lane) lanes.delete(key);
}

/**
 * Queues a write to `key`: it runs after every write queued here before it, batched with the
 * writes of the same `group` (undefined: never batched) queued next to it.
 */
export function enqueue<P, R>(
  key: string,
  group: string | undefined,
  payload: P,
  run: BatchRunner<P, R>,
): Promise<R> {
  let lane = lanes.get(key);
  if (!lane) {
    lane = { queue: [], running: false, latest: undefined };
    lanes.set(key, lane);
  }
  const own = lane;
  const result = new Promise<R>((resolve, reject) => {
    own.queue.push({
      group,
      payload,
      run: run as BatchRunner<unknown, unknown>,
      resolve: resolve as (value: unknown) => void,
      reject,
    });
  });
  if (!own.running) void drain(key, own);
  return result;
}
