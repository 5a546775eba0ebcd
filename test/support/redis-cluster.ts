/**
 * Test support: a private Redis Cluster of 3 masters and 3 replicas (Debian's redis-server on
 * spare loopback ports, joined with `redis-cli --cluster create … --cluster-replicas 1`). The
 * shared server is never touched; every process is stopped by its pid (`stop()`, or at exit).
 *
 * Usable per test file (`useCluster()`), or once per run from vitest's globalSetup
 * (test/support/cluster-global-setup.ts), which hands the ports to the test files.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Cluster, type Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { startServer, type PrivateServer } from "./redis-server.js";

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * How long a node waits before it calls a silent peer failed. Short, so a failover after a crash
 * completes in a few seconds on loopback (the production default is 15 s).
 */
export const NODE_TIMEOUT_MS = 1000;

export interface ClusterNode {
  readonly port: number;
  readonly server: PrivateServer;
}

export interface PrivateCluster {
  /** Every node, masters and replicas, in creation order. */
  readonly nodes: readonly ClusterNode[];
  /** `redis://127.0.0.1:<port>` of every node (the form `connect({ cluster })` takes). */
  readonly urls: readonly string[];
  /** A client of one node (brief retries), for raw checks and faults. */
  client(port: number): Redis;
  /** The ports of the nodes that are masters right now (asked of the live nodes). */
  masters(): Promise<number[]>;
  /** The port of the master serving `key` right now. */
  masterOf(key: string): Promise<number>;
  /** Waits until every live node reports cluster_state:ok and agrees on the masters. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every node (SIGKILL by pid) and removes their directories; idempotent. */
  stop(): Promise<void>;
}

/** `redis-cli --cluster create` needs redis-cli 5 or later (Debian's redis-tools). */
async function checkRedisCli(): Promise<void> {
  let version: string;
  try {
    version = (await run("redis-cli", ["--version"])).stdout;
  } catch {
    throw new Error("redis-cli not found: install Debian's redis-tools (apt-get install redis-tools).");
  }
  const major = Number(/(\d+)\.\d+\.\d+/.exec(version)?.[1] ?? 0);
  if (major < 5) throw new Error(`redis-cli ${version.trim()} is too old for --cluster create (need 5+).`);
}

const info = async (client: Redis): Promise<Map<string, string>> => {
  const text = (await client.call("CLUSTER", "INFO")) as string;
  return new Map(
    text
      .split(/\r?\n/)
      .filter((line) => line.includes(":"))
      .map((line) => line.split(":", 2) as [string, string]),
  );
};

/** Starts 6 nodes, joins them as 3 masters with one replica each, and waits for cluster_state:ok. */
export async function startCluster(): Promise<PrivateCluster> {
  await checkRedisCli();
  const servers = await Promise.all(
    Array.from({ length: 6 }, () =>
      startServer({
        withDir: true,
        args: [
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          "nodes.conf",
          "--cluster-node-timeout",
          String(NODE_TIMEOUT_MS),
          // A replica takes over however long it was cut off: tests crash masters on purpose.
          "--cluster-replica-validity-factor",
          "0",
          // Keep the 3+3 shape: a replica never wanders to another master.
          "--cluster-allow-replica-migration",
          "no",
        ],
      }),
    ),
  );
  const nodes = servers.map((server) => ({ port: server.port, server }));
  const clients = new Map<number, Redis>();
  const client = (port: number): Redis => {
    let c = clients.get(port);
    if (!c) {
      const server = servers.find((s) => s.port === port);
      if (!server) throw new Error(`no cluster node on port ${port}`);
      c = server.client();
      clients.set(port, c);
    }
    return c;
  };
  const live = (): ClusterNode[] => nodes.filter((n) => n.server.pid() !== undefined);

  const masters = async (): Promise<number[]> => {
    for (const node of live()) {
      try {
        const text = (await client(node.port).call("CLUSTER", "NODES")) as string;
        // <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges…>
        return text
          .split("\n")
          .map((line) => line.split(" "))
          .filter((f) => {
            const flags = (f[2] ?? "").split(",");
            return flags.includes("master") && !flags.includes("fail") && f.length > 8;
          })
          .map((f) => Number(/:(\d+)@/.exec(f[1] ?? "")?.[1]))
          .sort((a, b) => a - b);
      } catch {
        // this node went away between the check and the call: ask the next
      }
    }
    throw new Error("no cluster node answers");
  };

  const cluster: PrivateCluster = {
    nodes,
    urls: nodes.map((n) => `redis://127.0.0.1:${n.port}`),
    client,
    masters,
    async masterOf(key) {
      const slot = Number(await client(live()[0]?.port ?? 0).call("CLUSTER", "KEYSLOT", key));
      const slots = (await client(live()[0]?.port ?? 0).call("CLUSTER", "SLOTS")) as [
        number,
        number,
        [string, number],
      ][];
      const owner = slots.find(([from, to]) => slot >= from && slot <= to);
      if (!owner) throw new Error(`no node serves slot ${slot}`);
      return owner[2][1];
    },
    async waitHealthy(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      let last = "";
      while (Date.now() < until) {
        try {
          const states = await Promise.all(live().map(async (n) => info(client(n.port))));
          const ok = states.every(
            (s) => s.get("cluster_state") === "ok" && s.get("cluster_slots_assigned") === "16384",
          );
          if (ok && (await masters()).length === 3) return;
          last = states.map((s) => s.get("cluster_state")).join(",");
        } catch (error) {
          last = (error as Error).message;
        }
        await sleep(50);
      }
      throw new Error(`cluster not healthy after ${timeoutMs} ms (${last})`);
    },
    async stop() {
      for (const c of clients.values()) c.disconnect();
      clients.clear();
      await Promise.all(servers.map((s) => s.stop()));
    },
  };

  try {
    await run("redis-cli", [
      "--cluster",
      "create",
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      "--cluster-replicas",
      "1",
      "--cluster-yes",
    ]);
    await cluster.waitHealthy();
    // Every replica has finished its first sync, so a crash right away can fail over.
    await waitReplicasSynced(cluster);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Waits until each replica reports its link to the master up. */
async function waitReplicasSynced(cluster: PrivateCluster, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  const masters = new Set(await cluster.masters());
  const replicas = cluster.nodes.filter((n) => !masters.has(n.port));
  while (Date.now() < until) {
    const links = await Promise.all(
      replicas.map(async (n) =>
        (await cluster.client(n.port).info("replication")).includes("master_link_status:up"),
      ),
    );
    if (links.every(Boolean)) return;
    await sleep(50);
  }
  throw new Error("cluster replicas did not finish their first sync");
}

/** A plain ioredis Cluster on the private cluster, for raw checks (brief retries). */
export function clusterClient(urls: readonly string[]): Cluster {
  const client = new Cluster(
    urls.map((url) => {
      const parsed = new URL(url);
      return { host: parsed.hostname, port: Number(parsed.port) };
    }),
    { redisOptions: { maxRetriesPerRequest: 1 } },
  );
  client.on("error", () => undefined);
  return client;
}

/** Empties every master of the cluster (FLUSHDB on each: only ever on a private cluster). */
export async function flushCluster(client: Cluster): Promise<void> {
  // The masters are known once the client has read the slots.
  if (client.status !== "ready") await new Promise((resolve) => client.once("ready", resolve));
  await Promise.all(client.nodes("master").map((node) => node.flushdb()));
}

/** One private cluster for a whole test file: started before the first test, stopped after the last. */
export function useCluster(): { current: PrivateCluster } {
  const holder = {} as { current: PrivateCluster };
  beforeAll(async () => {
    holder.current = await startCluster();
  }, 120_000);
  afterAll(async () => {
    await holder.current?.stop();
  });
  return holder;
}
