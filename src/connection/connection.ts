import { Redis } from "ioredis";
import type { Cluster, ClusterOptions, RedisOptions } from "ioredis";
import { ConnectionError, NotConnectedError, PopotoError, RedisCommandError } from "../errors.js";
import { clusterUrls, createClusterClient, DEFAULT_CLUSTER_RETRY_MS } from "./cluster.js";
import { clusterError, isTopologyError } from "./cluster-errors.js";
import { setDurability } from "./durability.js";
import { loadScripts } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";

/** The client popoto sends commands through: a standalone ioredis client or an ioredis Cluster. */
export type RedisClient = Redis | Cluster;

/** Options for `connect()` beyond the URL. */
export interface ConnectOptions {
  /** Redis URL; `REDIS_URL`, else redis://127.0.0.1:6379. */
  readonly url?: string | undefined;
  /** Reconnect attempts before commands fail with a ConnectionError (default 20, about 10 s). */
  readonly maxReconnectAttempts?: number | undefined;
  /** Extra ioredis options, passed through (to every node's connection with `cluster`). */
  readonly redisOptions?: RedisOptions | undefined;
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
}

let current: RedisClient | undefined;
/** The client's most recent connection error, for diagnostics. */
let lastError: Error | undefined;

/** The most recent connection error ioredis reported, if any (reconnects happen in the background). */
export const lastConnectionError = (): Error | undefined => lastError;
let owned = false;

const DEFAULT_URL = "redis://127.0.0.1:6379";

/** The error of a command whose connection closed before its reply arrived. */
const IN_FLIGHT_LOST = "Connection closed before the reply arrived";

/**
 * Connects popoto to Redis. Nothing connects at import; call this once at start-up.
 *
 * - `connect()` uses `REDIS_URL`, else redis://127.0.0.1:6379.
 * - `connect("redis://host:6379/2")` uses that URL.
 * - `connect(client)` uses your own ioredis client or Cluster (popoto will not close it on `disconnect()`).
 * - `connect({ cluster: ["redis://127.0.0.1:7000", …] })` connects to a Redis Cluster.
 *
 * A lost connection is retried with backoff; each command is retried a few times, then fails
 * with a ConnectionError.
 * @example await connect(); await Book.create({ title: "Dune", pages: 412 });
 */
export async function connect(target?: string | RedisClient | ConnectOptions): Promise<RedisClient> {
  if (current) await disconnect();
  if (target !== undefined && typeof target === "object" && "sendCommand" in target) {
    setDurability(undefined);
    current = target;
    owned = false;
    return target;
  }
  const options: ConnectOptions = typeof target === "string" ? { url: target } : (target ?? {});
  setDurability(options.waitReplicas, options.waitTimeoutMs);
  if (options.cluster !== undefined) return connectCluster(options);
  const url = options.url ?? process.env["REDIS_URL"] ?? DEFAULT_URL;
  const attempts = options.maxReconnectAttempts ?? 20;
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 3,
    // A write whose reply was lost may have run: re-sending it after a reconnect could apply it
    // twice, so the caller gets a ConnectionError (outcome unknown) instead. Commands not yet sent
    // still wait in the offline queue and go out once reconnected.
    autoResendUnfulfilledCommands: false,
    // Back off up to 1 s between attempts; give up after `attempts`, which fails queued commands.
    retryStrategy: (times) => (times > attempts ? null : Math.min(times * 100, 1000)),
    ...options.redisOptions,
  });
  // ioredis reports each failed (re)connection as an "error" event; without a listener Node prints
  // it as unhandled. Commands still fail with a ConnectionError once retries are spent.
  client.on("error", (error: Error) => {
    lastError = error;
  });
  // With autoResendUnfulfilledCommands off, ioredis drops the commands that were in flight when
  // the connection closed without settling them (their promises would never resolve). Reject
  // them here, as the close is reported and before ioredis sets them aside.
  rejectInFlightOnClose(client);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new ConnectionError(
      `popoto could not connect to Redis at ${url}: ${(error as Error).message}. ` +
        `Start redis-server, or pass the right URL to connect() or in REDIS_URL.`,
      error,
    );
  }
  current = client;
  owned = true;
  return client;
}

/**
 * With autoResendUnfulfilledCommands off, ioredis drops the commands that were in flight when the
 * connection closed without settling them (their promises would never resolve); a cluster node
 * would instead hand them back to the Cluster, which sends them again elsewhere. Reject them here,
 * as the close is reported and before ioredis sets them aside, as lost replies.
 */
function rejectInFlightOnClose(client: Redis): void {
  client.on("close", () => {
    while (client.commandQueue.length > 0) {
      client.commandQueue.shift()?.command.reject(new Error(IN_FLIGHT_LOST));
    }
  });
}

/** `connect({ cluster })`: an ioredis Cluster popoto owns, connected before this resolves. */
async function connectCluster(options: ConnectOptions): Promise<Cluster> {
  const urls = clusterUrls(options.cluster ?? []);
  const client = createClusterClient({
    urls,
    retryMs: options.clusterRetryMs ?? DEFAULT_CLUSTER_RETRY_MS,
    reconnectAttempts: options.maxReconnectAttempts ?? 20,
    redisOptions: options.redisOptions,
    clusterOptions: options.clusterOptions,
    onNode: rejectInFlightOnClose,
  });
  client.on("error", (error: Error) => {
    lastError = error;
  });
  client.on("node error", (error: Error) => {
    lastError = error;
  });
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new ConnectionError(
      `popoto could not connect to the Redis Cluster at ${urls.map(redactUrl).join(", ")}: ` +
        `${(lastError ?? (error as Error)).message}. Check that the nodes run with cluster-enabled yes ` +
        `and that the URLs reach them.`,
      error,
    );
  }
  // A script is cached per node: load popoto's on every master now, so the first write or query
  // on each is one round trip (a master promoted later falls back to EVAL once).
  await loadScripts(client, Object.values(scripts)).catch(() => undefined);
  current = client;
  owned = true;
  return client;
}

/** A URL without its password, for messages. */
const redactUrl = (url: string): string => url.replace(/(\/\/[^:/@]*:)[^@/]*@/, "$1***@");

/** Closes the connection popoto opened (a client you passed in is left open for you to close). */
export async function disconnect(): Promise<void> {
  const client = current;
  current = undefined;
  if (!client || !owned) return;
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/** The connected client; throws NotConnectedError before `connect()`. */
export function getConnection(): RedisClient {
  if (!current) throw new NotConnectedError();
  return current;
}

/** True when popoto writes the cluster layout (`{Model}` hash tags): on a Cluster client. */
export function isClusterMode(): boolean {
  return current !== undefined && "nodes" in current && typeof current.nodes === "function";
}

/** True for the error of a command whose reply was lost with its connection (it may have run). */
export const isLostReply = (error: unknown): boolean =>
  error instanceof ConnectionError && error.cause instanceof Error && error.cause.message === IN_FLIGHT_LOST;

/** Turns ioredis transport failures and Redis error replies into PopotoErrors that say what to do. */
export function wrapRedisError(error: unknown, keys: readonly string[] = []): unknown {
  if (!(error instanceof Error) || error instanceof PopotoError) return error;
  if (isTopologyError(error)) return clusterError(error, keys);
  if (error.message.startsWith("OOM "))
    return new RedisCommandError(
      `Redis refused the command: it is out of memory (maxmemory with noeviction). Nothing was written. ` +
        `Free memory or raise maxmemory, then retry. (${error.message})`,
      error,
    );
  if (error.message.startsWith("WRONGTYPE"))
    return new RedisCommandError(
      `A key popoto reads or writes holds another Redis type (written by another client?). ` +
        `Find it with \`npx popoto check\` and delete or repair it. (${error.message})`,
      error,
    );
  if (error.name === "ReplyError")
    return new RedisCommandError(`Redis answered with an error: ${error.message}`, error);
  if (error.message === IN_FLIGHT_LOST)
    return new ConnectionError(
      `The connection to Redis closed before the reply arrived: the command may or may not have run ` +
        `(a write is applied entirely or not at all). Check, then retry if needed; the client reconnects by itself.`,
      error,
    );
  const transport =
    error.name === "MaxRetriesPerRequestError" ||
    /Connection is closed|ECONNREFUSED|ECONNRESET|Stream isn't writeable|enableOfflineQueue/.test(
      error.message,
    );
  if (!transport) return error;
  return new ConnectionError(
    `Redis command failed after retries: ${error.message}. Check that Redis is reachable; ` +
      `the client keeps reconnecting in the background.`,
    error,
  );
}
