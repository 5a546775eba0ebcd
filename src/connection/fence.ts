/**
 * How long a fence of a sharded model's unique-value claim lasts (`connect({ fenceSeconds })`;
 * docs/storage.md §7a, "Unique values"). A fence in a bucket makes every write there that carries
 * the fenced claim's token fail its guard. When the fence expires, such a write would pass: so a
 * fence must outlive every write that can still carry its token. A write carries a token from
 * its claim until its last attempt's reply: the claim step waits and retries for up to
 * `writeDeadlineMs`, the write's own retry loop for up to `writeDeadlineMs` more, the last
 * command may go unanswered for `commandTimeout`, and on a cluster ioredis redirects and retries
 * it for up to `clusterRetryMs`. The shortest fence accepted is twice that sum (the margin covers
 * event-loop stalls and clock-rate differences between client and server); with `commandTimeout:
 * 0` a command may wait without end, so nothing shorter than the default is accepted.
 */
import { ConnectionError } from "../errors.js";

/** The default: a day, far beyond any write's life, and beyond most paused processes'. */
export const DEFAULT_FENCE_SECONDS = 86_400;

let fence = DEFAULT_FENCE_SECONDS;

/** Seconds a fence lasts (`connect({ fenceSeconds })`, default a day). */
export const fenceSeconds = (): number => fence;

/** What bounds the life of a write carrying a claim's token, in ms (`commandTimeout` 0: none). */
export interface WriteLife {
  readonly writeDeadlineMs: number;
  readonly commandTimeout: number;
  /** On a cluster, how long a command is redirected and retried; 0 on a standalone server. */
  readonly clusterRetryMs: number;
}

/** The shortest fence `connect()` accepts with these settings, in seconds. */
export const minFenceSeconds = (life: WriteLife): number =>
  life.commandTimeout === 0
    ? DEFAULT_FENCE_SECONDS
    : Math.ceil((2 * (2 * life.writeDeadlineMs + life.commandTimeout + life.clusterRetryMs)) / 1000);

/** Sets the fence life for this connection (undefined: the default), refusing one too short. */
export function setFenceSeconds(seconds: number | undefined, life: WriteLife): void {
  if (seconds === undefined) {
    fence = DEFAULT_FENCE_SECONDS;
    return;
  }
  const least = minFenceSeconds(life);
  if (!Number.isSafeInteger(seconds) || seconds < least)
    throw new ConnectionError(
      `connect(): fenceSeconds must be a whole number of seconds ≥ ${least}, received ${seconds}. A fence must ` +
        `outlive any write that may still carry the token it fences: twice (2 × writeDeadlineMs ` +
        `[${life.writeDeadlineMs} ms] + commandTimeout [${life.commandTimeout} ms` +
        `${life.commandTimeout === 0 ? ": none, so no fence shorter than the default day is safe" : ""}]` +
        `${life.clusterRetryMs > 0 ? ` + clusterRetryMs [${life.clusterRetryMs} ms]` : ""}). ` +
        `Raise fenceSeconds, or lower writeDeadlineMs / commandTimeout first.`,
      undefined,
    );
  fence = seconds;
}
