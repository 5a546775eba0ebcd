/**
 * `connect()` and `disconnect()`: checks the target (URL, database, cluster nodes), opens the
 * ioredis client or Cluster, follows its events into the status and failure record, and makes it
 * the current client (current.ts) every command goes through. Over 300 lines because opening a
 * client, following its events and failing what it had in flight on a lost connection (reads sent
 * again, writes reported as lost replies) are one lifecycle with shared state.
 */
import { Redis } from "ioredis";
import type { Cluster } from "ioredis";
import { clause, ConnectionError } from "../errors.js";
import {
  describeConnectFailure,
  isFatalFailure,
  lastFailure,
  recordFailure,
  setFailureContext,
  IN_FLIGHT_LOST,
} from "./failures.js";
import { CONNECTION_DEFAULTS, driverOptions, type ConnectOptions } from "./options.js";
import { rememberSecrets, sanitizeError } from "./redact.js";
import { updateStatus } from "./status.js";
import { parseRedisUrl, type RedisTarget } from "./url.js";
import { clusterUrls, createClusterClient, DEFAULT_CLUSTER_RETRY_MS, parseNodeUrl } from "./cluster.js";
import { setDurability } from "./durability.js";
import { setFenceSeconds } from "./fence.js";
import { isReadOnlyCommand } from "./reads.js";
import { currentClient, getConnection, setCurrentClient, type RedisClient } from "./current.js";
import { loadScripts } from "../scripts/run-script.js";
import { commandsWatched, debugFromEnv, setCommandListener, watchCommands } from "../observe/command-log.js";
import { loadTracing, tracingOn } from "../observe/tracing.js";
import { scripts } from "../scripts/scripts.generated.js";

export { isLostReply, wrapRedisError } from "./failures.js";
export { getConnection, isClusterMode, type RedisClient } from "./current.js";

/**
 * A new connection like popoto's (`duplicate()`: same server or cluster, same options), for a
 * command that holds its connection (a blocking read); its commands are reported like popoto's
 * own (`onCommand`, `POPOTO_DEBUG`, tracing). The caller disconnects it.
 */
export function duplicateConnection(): RedisClient {
  const copy = getConnection().duplicate();
  if (commandsWatched(tracingOn())) watchCommands(copy);
  return copy;
}
export type { ConnectOptions } from "./options.js";

const DEFAULT_WRITE_DEADLINE_MS = 5000;
let writeDeadline = DEFAULT_WRITE_DEADLINE_MS;

/** How long a contended write is retried before it fails (`connect({ writeDeadlineMs })`). */
export const writeDeadlineMs = (): number => writeDeadline;

let owned = false;
/** Removes popoto's listeners from the current client. */
let detach: () => void = () => undefined;

const connectedHooks: (() => Promise<void>)[] = [];

/**
 * Runs `hook` after every successful `connect()` (popoto's own set-up, such as registering the
 * models' schema records); a hook's failure does not fail the connection.
 */
export function onConnected(hook: () => Promise<void>): void {
  connectedHooks.push(hook);
}

const runConnectedHooks = async (): Promise<void> => {
  await Promise.all(connectedHooks.map((hook) => hook().catch(() => undefined)));
};

/** The most recent connection failure, named (WRONGPASS, TLS, nothing listening, …), if any. */
export const lastConnectionError = (): ConnectionError | undefined => lastFailure();

/**
 * Connects popoto to Redis. Nothing connects at import; call this once at start-up.
 *
 * - `connect()` uses `REDIS_URL`, else redis://127.0.0.1:6379.
 * - `connect("redis://user:password@host:6379/2")` uses that URL (`rediss://` for TLS).
 * - `connect({ url, commandTimeout, waitForServer, redisOptions: { tls: { ca } } })`: see ConnectOptions.
 * - `connect({ cluster: ["redis://127.0.0.1:7000", …] })` connects to a Redis Cluster.
 * - `connect(client)` uses your own ioredis client or Cluster (popoto will not close it on
 *   `disconnect()`; its own options, such as `commandTimeout`, apply).
 *
 * The URL is checked first (scheme, host, database index). A lost connection is retried without
 * limit, backing off to 2 s; a command waits through a few attempts, then fails with a
 * ConnectionError, and no command waits longer than `commandTimeout` (10 s). Failures are named:
 * AuthenticationError (code "AUTH"), TlsError ("TLS"), ConnectionError ("CONNECTION") with a `reason`.
 * @example await connect(); await Book.create({ title: "Dune", pages: 412 });
 */
export async function connect(target?: string | RedisClient | ConnectOptions): Promise<RedisClient> {
  if (currentClient()) await disconnect();
  const observed = typeof target === "object" && !("sendCommand" in target) ? target : undefined;
  setCommandListener(observed?.onCommand, debugFromEnv());
  await loadTracing(observed?.tracing !== false);
  if (target !== undefined && typeof target === "object" && "sendCommand" in target) {
    writeDeadline = DEFAULT_WRITE_DEADLINE_MS;
    setFenceSeconds(undefined, { writeDeadlineMs: writeDeadline, commandTimeout: 0, clusterRetryMs: 0 });
    setDurability(undefined);
    useClient(target, false, {
      shown: "the ioredis client passed to connect()",
      tls: false,
      commandTimeout: 0,
      db: 0,
    });
    await runConnectedHooks();
    return target;
  }
  const options: ConnectOptions = typeof target === "string" ? { url: target } : (target ?? {});
  writeDeadline = options.writeDeadlineMs ?? DEFAULT_WRITE_DEADLINE_MS;
  setFenceSeconds(options.fenceSeconds, {
    writeDeadlineMs: writeDeadline,
    commandTimeout: options.commandTimeout ?? CONNECTION_DEFAULTS.commandTimeout,
    clusterRetryMs: options.cluster === undefined ? 0 : (options.clusterRetryMs ?? DEFAULT_CLUSTER_RETRY_MS),
  });
  setDurability(options.waitReplicas, options.waitTimeoutMs);
  if (options.cluster !== undefined) return connectCluster(options);
  const redisTarget = parseRedisUrl(options.url ?? process.env["REDIS_URL"] ?? CONNECTION_DEFAULTS.url);
  const extra = options.redisOptions;
  rememberSecrets(redisTarget.password, extra?.password, tlsSecret(extra?.tls));
  const client = new Redis(redisTarget.url, driverOptions(options));
  useClient(client, true, {
    shown: redisTarget.shown,
    tls: redisTarget.tls || extra?.tls !== undefined,
    commandTimeout: options.commandTimeout ?? CONNECTION_DEFAULTS.commandTimeout,
    db: extra?.db ?? redisTarget.db,
  });
  updateStatus({ state: "connecting" });
  try {
    await firstReady(client, options.waitForServer ?? CONNECTION_DEFAULTS.waitForServer, redisTarget);
  } catch (error) {
    // disconnect() (or another connect()) may have replaced this client while it waited
    if (currentClient() === client) {
      await disconnect();
      updateStatus({ state: "closed", lastError: error instanceof ConnectionError ? error : undefined });
    } else client.disconnect();
    throw error;
  }
  await runConnectedHooks();
  return client;
}

/** `connect({ cluster })`: an ioredis Cluster popoto owns, connected before this resolves. */
async function connectCluster(options: ConnectOptions): Promise<Cluster> {
  const urls = clusterUrls(options.cluster ?? []);
  const nodes = urls.map(parseNodeUrl);
  rememberSecrets(
    ...nodes.map((n) => n.options.password),
    options.redisOptions?.password,
    tlsSecret(options.redisOptions?.tls),
  );
  const shown = nodes.map((n) => `${n.host}:${n.port}`).join(",");
  const client = createClusterClient({
    urls,
    retryMs: options.clusterRetryMs ?? DEFAULT_CLUSTER_RETRY_MS,
    reconnectAttempts: options.maxReconnectAttempts ?? CONNECTION_DEFAULTS.maxReconnectAttempts,
    // The node connections get popoto's standalone settings (command deadline, no blind resends).
    redisOptions: { ...driverOptions({ ...options, maxReconnectAttempts: 0 }), retryStrategy: () => null },
    clusterOptions: options.clusterOptions,
    onNode: rejectInFlightOnClose,
  });
  useClient(client, true, {
    shown: `the Redis Cluster at ${shown}`,
    tls: nodes.some((n) => n.options.tls !== undefined) || options.redisOptions?.tls !== undefined,
    commandTimeout: options.commandTimeout ?? CONNECTION_DEFAULTS.commandTimeout,
    db: 0,
  });
  updateStatus({ state: "connecting" });
  try {
    await client.connect();
  } catch (error) {
    const failure =
      lastFailure() ??
      new ConnectionError(
        `popoto could not connect to the Redis Cluster at ${shown}: ${clause(sanitizeError(error).message)}. ` +
          `Check that the nodes run with cluster-enabled yes and that the URLs reach them.`,
        sanitizeError(error),
        "closed",
      );
    await disconnect();
    updateStatus({ state: "closed", lastError: failure });
    throw failure;
  }
  // A script is cached per node: load popoto's on every master now, so the first write or query
  // on each is one round trip (a master promoted later falls back to EVAL once).
  await loadScripts(client, Object.values(scripts)).catch(() => undefined);
  await runConnectedHooks();
  return client;
}

/** ioredis's error for a command whose node connection closed: the Cluster sends it again. */
const CONNECTION_CLOSED = "Connection is closed.";

/**
 * A cluster node's connection: the writes in flight when it closed are rejected as lost replies.
 * Otherwise ioredis rejects them with "Connection is closed.", which the Cluster takes for a
 * command never sent and sends again elsewhere: a create re-sent so met its own write and
 * reported KEY_CONFLICT, and popoto's write path could not know a reply was lost. A read in
 * flight is left to that resend (reads.ts: running it again changes nothing): the Cluster
 * refreshes its slots and retries it every 100 ms within the same budget as a redirection
 * (`clusterRetryMs`), then fails with a ClusterError. ioredis settles that queue in the socket's
 * own close handler, before it emits "close" (a node connection is never reconnected), so
 * popoto's handler goes first on each new socket.
 */
function rejectInFlightOnClose(node: Redis): void {
  const reject = (): void => {
    for (let item = node.commandQueue.shift(); item !== undefined; item = node.commandQueue.shift()) {
      const { name, args } = item.command;
      item.command.reject(new Error(isReadOnlyCommand(name, args) ? CONNECTION_CLOSED : IN_FLIGHT_LOST));
    }
  };
  node.on("connect", () => node.stream.prependListener("close", reject));
  node.on("close", reject);
}

/** The passphrase of a TLS key, when one is given as a string. */
const tlsSecret = (tls: unknown): string | undefined => {
  const passphrase = (tls as { passphrase?: unknown } | undefined)?.passphrase;
  return typeof passphrase === "string" ? passphrase : undefined;
};

/** Makes `client` popoto's connection and follows its events into the status and failure record. */
function useClient(
  client: RedisClient,
  isOwned: boolean,
  context: Parameters<typeof setFailureContext>[0],
): void {
  setCurrentClient(client);
  owned = isOwned;
  const unwatch = commandsWatched(tracingOn()) ? watchCommands(client) : () => undefined;
  setFailureContext(context);
  recordFailure(undefined);
  let attempts = 0;
  updateStatus({
    state: client.status === "ready" ? "ready" : "connecting",
    url: context.shown,
    attempts: 0,
    lastError: undefined,
  });
  // ioredis reports each failed (re)connection as an "error" event; without a listener Node prints
  // it as unhandled. Each is named, recorded for the next command's error, and shown in the status.
  const onError = (error: Error): void => {
    const failure = describeConnectFailure(
      error,
      client.status === "connecting" || client.status === "connect",
    );
    if (failure === undefined) return;
    recordFailure(failure);
    updateStatus({ lastError: failure });
    // A database index the server does not have: ioredis would go on in database 0. Stop instead.
    if (failure.reason === "no-database" && isOwned) {
      client.disconnect();
      updateStatus({ state: "closed" });
    }
  };
  const onReady = (): void => {
    attempts = 0;
    updateStatus({ state: "ready", attempts: 0 });
  };
  const onReconnecting = (): void => {
    attempts += 1;
    updateStatus({ state: "reconnecting", attempts });
  };
  const onClose = (): void => {
    // With autoResendUnfulfilledCommands off, ioredis drops the commands that were in flight when
    // the connection closed without settling them (their promises would never resolve). Reject
    // them here, as the close is reported and before ioredis sets them aside.
    if (client instanceof Redis)
      while (client.commandQueue.length > 0) {
        client.commandQueue.shift()?.command.reject(new Error(IN_FLIGHT_LOST));
      }
    if (currentClient() === client) updateStatus({ state: "reconnecting" });
  };
  const onEnd = (): void => {
    if (currentClient() === client) updateStatus({ state: "closed" });
  };
  client.on("error", onError);
  client.on("ready", onReady);
  client.on("reconnecting", onReconnecting);
  if (isOwned) client.on("close", onClose);
  client.on("end", onEnd);
  detach = () => {
    unwatch();
    client.off("error", onError);
    client.off("ready", onReady);
    client.off("reconnecting", onReconnecting);
    client.off("close", onClose);
    client.off("end", onEnd);
    // ioredis may still report the closing socket's error: keep a listener so Node does not throw it.
    if (isOwned) client.on("error", () => undefined);
  };
}

/**
 * Opens the first connection. Without `wait`, the first failure is the answer; with it, failures
 * a retry can fix are waited out (the client keeps reconnecting) and only fatal ones fail.
 */
function firstReady(client: Redis, wait: boolean, target: RedisTarget): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      client.off("ready", onReady);
      client.off("error", onError);
      client.off("end", onEnd);
      if (error === undefined) resolve();
      else reject(error);
    };
    const failure = (error: unknown): ConnectionError =>
      describeConnectFailure(error, true) ??
      lastFailure() ??
      new ConnectionError(
        `popoto could not connect to Redis at ${target.shown}: ${clause(sanitizeError(error).message)}. ` +
          `Start redis-server, or pass the right URL to connect() or in REDIS_URL.`,
        sanitizeError(error),
        "closed",
      );
    const onReady = (): void => finish();
    const onError = (error: Error): void => {
      const named = describeConnectFailure(error, true);
      if (named === undefined) return;
      if (!wait || isFatalFailure(named)) finish(named);
    };
    const onEnd = (): void => finish(failure(new Error("Connection is closed.")));
    client.on("ready", onReady);
    client.on("error", onError);
    client.on("end", onEnd);
    client.connect().catch((error: unknown) => {
      if (!wait) finish(failure(error));
    });
  });
}

/** Closes the connection popoto opened (a client you passed in is left open for you to close). */
export async function disconnect(): Promise<void> {
  const client = currentClient();
  setCurrentClient(undefined);
  detach();
  detach = () => undefined;
  updateStatus({ state: "disconnected", attempts: 0 });
  if (!client || !owned) return;
  if (client.status !== "ready") {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}
