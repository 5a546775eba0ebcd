import type { Snapshot } from "./plan-write.js";

/**
 * Writes to one instance key from this process, one at a time. A write whose stored-state check
 * would fail because another write of this process just landed is then planned from that
 * write's result (`latest`) instead of racing it: in one process, checked writes to a hot row
 * take one round trip each and never lose to each other. Other processes are met by the
 * executor's backoff.
 */
interface Lane {
  tail: Promise<unknown>;
  waiting: number;
  /** The stored state the last write of this lane left (indexed fields' bytes), if known. */
  latest: Snapshot | undefined;
}

const lanes = new Map<string, Lane>();

/** The state the previous write to `key` from this process left, while writes to it are queued. */
export const latestState = (key: string): Snapshot | undefined => lanes.get(key)?.latest;

/** Notes the state a write left at `key`, for the next queued write to plan from. */
export const noteState = (key: string, state: Snapshot | undefined): void => {
  const lane = lanes.get(key);
  if (lane) lane.latest = state;
};

/** Runs `write` once every earlier write to `key` queued here has settled. */
export function inKeyOrder<T>(key: string, write: () => Promise<T>): Promise<T> {
  let lane = lanes.get(key);
  if (!lane) {
    lane = { tail: Promise.resolve(), waiting: 0, latest: undefined };
    lanes.set(key, lane);
  }
  const own = lane;
  own.waiting++;
  const run = own.tail.then(write, write);
  own.tail = run.then(
    () => undefined,
    () => undefined,
  );
  const done = (): void => {
    own.waiting--;
    if (own.waiting === 0 && lanes.get(key) === own) lanes.delete(key);
  };
  run.then(done, done);
  return run;
}
