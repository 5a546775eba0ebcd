/**
 * Test support: every integration suite runs against the real Redis on its own database
 * (15 unless POPOTO_TEST_DB says otherwise), flushed before each test and left empty.
 *
 * With POPOTO_TEST_CLUSTER=1 the same tests run on a private Redis Cluster instead (started once
 * by test/support/cluster-global-setup.ts): popoto connects with `connect({ cluster })`, `raw` is
 * an ioredis Cluster, and every master is emptied around each test. Tests that cannot run on a
 * cluster use `standaloneIt(reason)` / `standaloneDescribe(reason)`, which skip them there and
 * say why in the test name.
 */
import { Redis, type Cluster } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, inject, it } from "vitest";
import { connect, disconnect } from "../../src/index.js";
import { forgetLayouts } from "../../src/shards/layout.js";
import { fromClusterKey, toClusterKey, translatingClient } from "./cluster-keys.js";
import { clusterClient, flushCluster } from "./redis-cluster.js";
import { signalClient as workerSignal } from "./worker-connect.js";

const base = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
export const TEST_DB = Number(process.env["POPOTO_TEST_DB"] ?? 15);
export const TEST_URL = `${base.replace(/\/\d*$/, "")}/${TEST_DB}`;

/** True when this run targets the private cluster (POPOTO_TEST_CLUSTER=1). */
export const ON_CLUSTER = process.env["POPOTO_TEST_CLUSTER"] === "1";

/**
 * A key as the run's layout spells it (`Club:Reds`, or `{Club}:Reds` on the cluster): for
 * expected bytes that hold a key (a stored relationship) or a key used as a part.
 */
export const layoutKey = (key: string): string => (ON_CLUSTER ? toClusterKey(key) : key);

/** The private cluster's node URLs (only with POPOTO_TEST_CLUSTER=1). */
export const clusterUrls = (): readonly string[] => inject("clusterUrls");

/**
 * Where a worker process connects (test/support/worker-connect.ts): the test database's URL, or
 * `cluster:<url>,<url>…` on the private cluster.
 */
export const workerTarget = (): string => (ON_CLUSTER ? `cluster:${clusterUrls().join(",")}` : TEST_URL);

/** A client of its own on the run's target, for signalling workers (single-key list commands). */
export const signalClient = (): Redis => workerSignal(workerTarget());

/**
 * A plain ioredis client on the test database, for raw-key assertions. On the cluster it is an
 * ioredis Cluster (routing each single-key command to its node) that translates key names to the
 * cluster layout and back (test/support/cluster-keys.ts); typed as Redis so test bodies stay one.
 */
export let raw: Redis;

/** `it`, skipped on the cluster; the reason is shown in the test's name there. */
export const standaloneIt = (reason: string) =>
  ((name: string, fn: () => Promise<void> | void, timeout?: number) =>
    it.skipIf(ON_CLUSTER)(ON_CLUSTER ? `${name} [standalone only: ${reason}]` : name, fn, timeout)) as (
    name: string,
    fn: () => Promise<void> | void,
    timeout?: number,
  ) => void;

/** `describe`, skipped on the cluster; the reason is shown in the suite's name there. */
export const standaloneDescribe = (reason: string) => (name: string, fn: () => void) =>
  describe.skipIf(ON_CLUSTER)(ON_CLUSTER ? `${name} [standalone only: ${reason}]` : name, fn);

/** Empties the test database (every master of the private cluster). */
export async function flushTestData(): Promise<void> {
  forgetLayouts();
  if (ON_CLUSTER) await flushCluster(raw as unknown as Cluster);
  else await raw.flushdb();
}

/** Connects popoto the way the run targets: the test database, or the private cluster. */
export async function connectTestRedis(): Promise<void> {
  if (ON_CLUSTER) await connect({ cluster: clusterUrls() });
  else await connect(TEST_URL);
}

/** Connects popoto and a raw client to the test database and empties it around every test. */
export function useRedis(): void {
  beforeAll(async () => {
    if (ON_CLUSTER) {
      raw = translatingClient(clusterClient(clusterUrls())) as unknown as Redis;
      await connectTestRedis();
      return;
    }
    if (TEST_DB === 0) throw new Error("Refusing to run tests on Redis database 0; set POPOTO_TEST_DB.");
    raw = new Redis(TEST_URL);
    await connect(TEST_URL);
  });
  beforeEach(async () => {
    await flushTestData();
  });
  afterEach(async () => {
    await flushTestData();
  });
  afterAll(async () => {
    await disconnect();
    await raw.quit();
  });
}

/**
 * Every key in the test database (every master of the cluster), sorted (SCAN, never KEYS), except
 * the models' schema fingerprints (`$Schema:<Model>`, written by the first save into an empty
 * model) and sharded models' layout records (`$Shards:<Model>`, written at a connection's first
 * use of the model): model-level metadata, not what a save or delete of instances touches.
 * test/integration/storage-layout.test.ts and schema-migrate.test.ts assert them, with
 * `allKeysWithFingerprints()`.
 */
export async function allKeys(): Promise<string[]> {
  return (await allKeysWithFingerprints()).filter(
    (key) => !key.startsWith("$Schema:") && !key.startsWith("$Shards:"),
  );
}

/** Every key in the test database, the schema fingerprints included. */
export async function allKeysWithFingerprints(): Promise<string[]> {
  const nodes = ON_CLUSTER ? (raw as unknown as Cluster).nodes("master") : [raw];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "COUNT", 1000);
      cursor = next;
      keys.push(...(ON_CLUSTER ? batch.map(fromClusterKey) : batch));
    } while (cursor !== "0");
  }
  return keys.sort();
}

/**
 * The keys matching a SCAN pattern given in the standalone spelling (`Book:*`), over every master
 * of the cluster, returned as stored (`{Book}:Dune` on the cluster): for comparing with the keys
 * popoto hands out. (A Cluster client's own SCAN reads one node picked at random.)
 */
export async function scanStoredKeys(pattern: string): Promise<string[]> {
  const nodes = ON_CLUSTER ? (raw as unknown as Cluster).nodes("master") : [raw];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", layoutKey(pattern), "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
  }
  return keys.sort();
}

/** Hex of a hash field's raw bytes. */
export async function hexOf(key: string, field: string): Promise<string | null> {
  const value = await raw.hgetBuffer(key, field);
  return value === null ? null : value.toString("hex");
}
