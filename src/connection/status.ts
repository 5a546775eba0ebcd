/**
 * The connection's state, for applications to watch (health checks, readiness probes, logs):
 * `connectionStatus()` reads it, `onConnectionStatus()` is told of every change.
 */
import type { ConnectionError } from "../errors.js";

/**
 * - "disconnected": before connect(), or after disconnect();
 * - "connecting": connect() is opening the first connection;
 * - "ready": commands go out;
 * - "reconnecting": the connection was lost; commands wait (up to the deadline) and retries run;
 * - "closed": the client gave up (maxReconnectAttempts spent, or a failure retrying cannot fix,
 *   such as a database index the server does not have); call connect() again.
 */
export type ConnectionState = "disconnected" | "connecting" | "ready" | "reconnecting" | "closed";

export interface ConnectionStatus {
  readonly state: ConnectionState;
  /** The server, with its password replaced by `***`. */
  readonly url: string | undefined;
  /** Reconnection attempts since the connection was last ready. */
  readonly attempts: number;
  /** The latest connection failure (named: nothing listening, WRONGPASS, TLS, …), if any. */
  readonly lastError: ConnectionError | undefined;
  /** When `state` last changed. */
  readonly since: Date;
}

type Listener = (status: ConnectionStatus) => void;

let status: ConnectionStatus = {
  state: "disconnected",
  url: undefined,
  attempts: 0,
  lastError: undefined,
  since: new Date(),
};
const listeners = new Set<Listener>();

/**
 * The connection's current state.
 * @example if (connectionStatus().state !== "ready") res.status(503)
 */
export const connectionStatus = (): ConnectionStatus => status;

/**
 * Calls `listener` on every change of state (and of lastError); returns a function that stops it.
 * A listener that throws is ignored.
 * @example const stop = onConnectionStatus((s) => log.info(`redis ${s.state}`, s.lastError?.code))
 */
export function onConnectionStatus(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Updates the status and tells the listeners. */
export function updateStatus(change: Partial<ConnectionStatus>): void {
  const next = { ...status, ...change };
  if (change.state !== undefined && change.state !== status.state) next.since = new Date();
  if (
    next.state === status.state &&
    next.lastError === status.lastError &&
    next.attempts === status.attempts &&
    next.url === status.url
  )
    return;
  status = next;
  for (const listener of listeners) {
    try {
      listener(status);
    } catch {
      // a watcher's bug must not break the connection
    }
  }
}
