/**
 * Test support for worker processes (test/support/*-worker.ts): connects popoto to the target the
 * parent test runs on, and opens the client the worker signals through (lists the parent BLPOPs).
 * The target is the test database's URL, or `cluster:<url>,<url>…` when the suites run on the
 * private cluster (`workerTarget()` in test/support/redis.ts). No vitest here: workers are plain
 * Node processes.
 */
import { Cluster, Redis } from "ioredis";
import { connect } from "../../src/index.js";

const CLUSTER = "cluster:";

/** The node URLs of a `cluster:` target, or undefined for a plain URL. */
export const clusterTarget = (target: string): string[] | undefined =>
  target.startsWith(CLUSTER) ? target.slice(CLUSTER.length).split(",") : undefined;

/** A client for signalling (RPUSH/BLPOP on single keys), on the same target. */
export function signalClient(target: string): Redis {
  const urls = clusterTarget(target);
  if (urls === undefined) return new Redis(target);
  const cluster = new Cluster(
    urls.map((url) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) })),
  );
  cluster.on("error", () => undefined);
  // Typed as Redis: the workers and tests send it only single-key list commands.
  return cluster as unknown as Redis;
}

/** Connects popoto to `target` and returns a signalling client on it. */
export async function connectWorker(target: string): Promise<Redis> {
  const urls = clusterTarget(target);
  await connect(urls === undefined ? target : { cluster: urls });
  return signalClient(target);
}
