/**
 * The servers that hold the data: the one standalone server, or every master of a Redis Cluster.
 * SCAN, DBSIZE and the like answer for one node only, so on a cluster they are sent to each
 * master and the answers combined (a Cluster client would pick a random node per call).
 */
import type { Cluster, Redis } from "ioredis";
import { keySlot } from "../keys/shards.js";
import type { RedisClient } from "./current.js";

const isCluster = (client: RedisClient): client is Cluster =>
  "nodes" in client && typeof client.nodes === "function";

/** The standalone client itself, or a connection to each master of the cluster. */
export const masters = (client: RedisClient): Redis[] =>
  isCluster(client) ? client.nodes("master") : [client as Redis];

/**
 * On a cluster, the ready connection to the master that owns `name`'s slot, as the client last
 * learnt the slot map; undefined on a standalone server, or while that master is unknown or down
 * (the caller then sends through the client as usual).
 */
export function slotOwner(client: RedisClient, name: string): Redis | undefined {
  if (!isCluster(client)) return undefined;
  const owner = client.slots[keySlot(name)]?.[0];
  if (owner === undefined) return undefined;
  return client
    .nodes("master")
    .find((node) => `${node.options.host}:${node.options.port}` === owner && node.status === "ready");
}

/** True when a pattern holds a glob character; one without is a single key name. */
const isGlob = (pattern: string): boolean => /[*?[\\]/.test(pattern);

/**
 * Every key matching `pattern`, by SCAN MATCH … COUNT on each master in turn (never KEYS), one
 * batch at a time, each with the master it came from. A key is reported once even if a slot
 * migration shows it on two masters. A pattern without glob characters is one key: EXISTS.
 */
export async function* scanMasters(
  client: RedisClient,
  pattern: string,
  count = 1000,
): AsyncGenerator<{ readonly node: Redis; readonly keys: string[] }> {
  if (!isGlob(pattern)) {
    if ((await client.exists(pattern)) === 1) yield { node: client as Redis, keys: [pattern] };
    return;
  }
  const seen = new Set<string>();
  const nodes = masters(client);
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", count);
      cursor = next;
      // Deduplicate only where two masters may both show a key (one server never repeats one to
      // a full SCAN beyond rehashing, which the caller tolerates as before).
      const keys = nodes.length === 1 ? batch : batch.filter((k) => !seen.has(k) && seen.add(k));
      if (keys.length > 0) yield { node, keys };
    } while (cursor !== "0");
  }
}

/** DBSIZE summed over the masters. */
export async function totalKeys(client: RedisClient): Promise<number> {
  const sizes = await Promise.all(masters(client).map((node) => node.dbsize()));
  return sizes.reduce((a, b) => a + b, 0);
}
