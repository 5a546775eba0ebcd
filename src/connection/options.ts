import type { ClusterOptions, RedisOptions } from "ioredis";
import type { CommandListener } from "../observe/command-log.js";

/** Options for `connect()` beyond the URL. Every default is in CONNECTION_DEFAULTS. */
export interface ConnectOptions {
  /** Redis URL, redis:// or rediss:// (TLS); `REDIS_URL`, else redis://127.0.0.1:6379. */
  readonly url?: string | undefined;
  /**
   * Reconnection attempts after a lost connection before the client gives up for good (state
   * "closed"). Default: unlimited, so the client comes back after an outage of any length.
   */
  readonly maxReconnectAttempts?: number | undefined;
  /** Longest wait between reconnection attempts, in ms (they start at 100 ms and double). Default 2000. */
  readonly maxReconnectDelay?: number | undefined;
  /**
   * The deadline of each command, in ms: a command without a reply by then fails with a
   * CommandTimeoutError (a hung server, a black-holed network), never stays pending. 0: none.
   * Default 10000.
   */
  readonly commandTimeout?: number | undefined;
  /** How long one connection attempt (TCP, TLS, AUTH) may take, in ms. Default 10000. */
  readonly connectTimeout?: number | undefined;
  /**
   * When Redis cannot be reached at connect() (nothing listening, unreachable), keep retrying
   * (with the reconnect backoff) until it can, instead of failing at once. Failures retrying
   * cannot fix (wrong password, TLS, a missing database) still fail at once. Default false.
   */
  readonly waitForServer?: boolean | undefined;
  /**
   * Extra ioredis options, passed through (e.g. `tls: { ca, cert, key }`, `username`, `password`);
   * with `cluster`, to every node's connection.
   */
  readonly redisOptions?: RedisOptions | undefined;
  /**
   * How long a write that keeps meeting other processes' changes to the same instance is retried
   * (with growing, jittered pauses) before it fails with ConcurrentModificationError. Default 5000.
   */
  readonly writeDeadlineMs?: number | undefined;
  /**
   * Seconds a fence of a sharded model's unique-value claim lasts (docs/storage.md §7a, "Unique
   * values"): a fence must outlive any write still carrying the token it fences, so at least
   * twice 2 × writeDeadlineMs + commandTimeout (+ clusterRetryMs on a cluster): 40 s, 80 s on a
   * cluster, with the defaults; with commandTimeout 0 nothing below the default. Every process
   * writing the model should use the same settings. Default 86 400 (a day).
   */
  readonly fenceSeconds?: number | undefined;
  /**
   * A Redis Cluster's startup nodes, e.g. `["redis://127.0.0.1:7000", "redis://127.0.0.1:7001"]`
   * (or one comma-separated string); popoto then writes the cluster layout (`{Model}` hash tags).
   */
  readonly cluster?: string | readonly string[] | undefined;
  /** Extra ioredis Cluster options, passed through (with `cluster`). */
  readonly clusterOptions?: ClusterOptions | undefined;
  /**
   * With `cluster`: how long (ms) a command keeps being retried while the cluster fails over or
   * migrates a slot before it fails with a ClusterError (default 20 000).
   */
  readonly clusterRetryMs?: number | undefined;
  /**
   * Durability: after each write, WAIT until this many replicas acknowledged it; fewer within
   * `waitTimeoutMs` (default 1000) makes the write's call throw NotReplicatedError (the write
   * itself applied). Default 0: writes do not wait (Redis replicates asynchronously).
   */
  readonly waitReplicas?: number | undefined;
  readonly waitTimeoutMs?: number | undefined;
  /**
   * Called with every command popoto sends once its reply arrived: name, redacted arguments,
   * script name, duration, pipeline or not, error. `POPOTO_DEBUG=1` prints the same to stderr.
   */
  readonly onCommand?: CommandListener | undefined;
  /**
   * OpenTelemetry spans (one per query or write) when `@opentelemetry/api` is installed. Default
   * true; false makes none even when it is.
   */
  readonly tracing?: boolean | undefined;
}

/** The defaults of connect(). */
export const CONNECTION_DEFAULTS = {
  url: "redis://127.0.0.1:6379",
  maxReconnectAttempts: Number.POSITIVE_INFINITY,
  firstReconnectDelay: 100,
  maxReconnectDelay: 2000,
  commandTimeout: 10_000,
  connectTimeout: 10_000,
  /** Reconnection attempts a command waits through before it fails with a ConnectionError. */
  retriesPerCommand: 3,
  waitForServer: false,
} as const;

/** Wait before reconnection attempt `times` (1-based): 100 ms doubling, capped. */
export const reconnectDelay = (times: number, max: number): number =>
  Math.min(CONNECTION_DEFAULTS.firstReconnectDelay * 2 ** Math.min(times - 1, 20), max);

/** The ioredis options popoto connects with, for a URL it has validated. */
export function driverOptions(options: ConnectOptions): RedisOptions {
  const attempts = options.maxReconnectAttempts ?? CONNECTION_DEFAULTS.maxReconnectAttempts;
  const maxDelay = options.maxReconnectDelay ?? CONNECTION_DEFAULTS.maxReconnectDelay;
  const commandTimeout = options.commandTimeout ?? CONNECTION_DEFAULTS.commandTimeout;
  return {
    lazyConnect: true,
    maxRetriesPerRequest: CONNECTION_DEFAULTS.retriesPerCommand,
    connectTimeout: options.connectTimeout ?? CONNECTION_DEFAULTS.connectTimeout,
    ...(commandTimeout > 0 ? { commandTimeout } : {}),
    // A write whose reply was lost may have run: re-sending it after a reconnect could apply it
    // twice, so the caller gets a ConnectionError (outcome unknown) instead. Commands not yet sent
    // still wait in the offline queue and go out once reconnected.
    autoResendUnfulfilledCommands: false,
    // Backs off to maxDelay and, by default, never gives up: returning null would end the client
    // for good, and a process would need a restart after a long outage.
    retryStrategy: (times) => (times > attempts ? null : reconnectDelay(times, maxDelay)),
    ...options.redisOptions,
  };
}
