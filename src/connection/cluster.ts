/**
 * The cluster form of `connect()`: an ioredis Cluster made from node URLs, set up so that commands
 * ride out a failover or a live slot migration (bounded) and a write whose reply was lost with a
 * crashed master is reported as such rather than silently sent again.
 */
import { Cluster, type ClusterOptions, type Redis, type RedisOptions } from "ioredis";
import { ClusterError } from "../errors.js";

/** How long a command keeps being redirected or retried while the cluster changes (default). */
export const DEFAULT_CLUSTER_RETRY_MS = 20_000;

/** Pause between retries of a command on TRYAGAIN, CLUSTERDOWN or a lost master connection. */
const TOPOLOGY_RETRY_DELAY_MS = 100;

/** What the cluster form of `connect()` takes. */
export interface ClusterSetup {
  /** Startup nodes: `redis://[user:password@]host:port` (or `rediss://`, or `host:port`). */
  readonly urls: readonly string[];
  readonly retryMs: number;
  readonly reconnectAttempts: number;
  readonly redisOptions: RedisOptions | undefined;
  readonly clusterOptions: ClusterOptions | undefined;
  /** Called with every node connection the cluster opens (popoto rejects lost in-flight commands there). */
  readonly onNode: (node: Redis) => void;
}

/** One startup node and the connection options its URL carries (credentials, TLS). */
interface ParsedNode {
  readonly host: string;
  readonly port: number;
  readonly options: RedisOptions;
}

/** Parses one node URL; a cluster has only database 0, so any other database is refused. */
export function parseNodeUrl(url: string): ParsedNode {
  const withScheme = /^[a-z]+:\/\//i.test(url) ? url : `redis://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new ClusterError(
      `connect({ cluster }): "${url}" is not a node URL; give redis://host:port for each node.`,
      undefined,
    );
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw new ClusterError(
      `connect({ cluster }): "${parsed.protocol}" is not a Redis URL scheme; use redis:// or rediss://.`,
      undefined,
    );
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && db !== "0")
    throw new ClusterError(
      `connect({ cluster }): ${parsed.host} names database ${db}, but a Redis Cluster has only database 0. ` +
        `Drop the /${db} from the URL.`,
      undefined,
    );
  const options: RedisOptions = {};
  if (parsed.username !== "") options.username = decodeURIComponent(parsed.username);
  if (parsed.password !== "") options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === "rediss:") options.tls = {};
  return { host: parsed.hostname, port: parsed.port === "" ? 6379 : Number(parsed.port), options };
}

/** Splits `"redis://a:7000,redis://b:7001"` and flattens lists, dropping blanks. */
export const clusterUrls = (cluster: string | readonly string[]): string[] =>
  (typeof cluster === "string" ? [cluster] : [...cluster])
    .flatMap((entry) => entry.split(","))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");

/**
 * Makes (without connecting) an ioredis Cluster for the given startup nodes. Topology errors are
 * retried every 100 ms for about `retryMs` (ioredis counts them as redirections), long enough for
 * a replica to take over from a crashed master; after that a command fails (popoto reports a
 * ClusterError). The node connections never resend a command that was in flight when their
 * connection closed: popoto decides (a write re-sent blindly could apply twice).
 */
export function createClusterClient(setup: ClusterSetup): Cluster {
  const nodes = setup.urls.map(parseNodeUrl);
  if (nodes.length === 0)
    throw new ClusterError(
      `connect({ cluster }) needs at least one node URL, e.g. ["redis://127.0.0.1:7000"].`,
      undefined,
    );
  const attempts = setup.reconnectAttempts;
  const client = new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    {
      lazyConnect: true,
      maxRedirections: Math.max(16, Math.ceil(setup.retryMs / TOPOLOGY_RETRY_DELAY_MS)),
      retryDelayOnFailover: TOPOLOGY_RETRY_DELAY_MS,
      retryDelayOnClusterDown: TOPOLOGY_RETRY_DELAY_MS,
      retryDelayOnTryAgain: TOPOLOGY_RETRY_DELAY_MS,
      clusterRetryStrategy: (times) => (times > attempts ? null : Math.min(times * 100, 1000)),
      ...setup.clusterOptions,
      redisOptions: {
        ...nodes[0]?.options,
        autoResendUnfulfilledCommands: false,
        ...setup.redisOptions,
      },
    },
  );
  client.on("+node", (node: Redis) => setup.onNode(node));
  return client;
}
