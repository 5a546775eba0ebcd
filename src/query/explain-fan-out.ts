/**
 * `explain().fanOut` of a sharded query (docs/storage.md §7a): which buckets each way of reading
 * the query touches, which master holds each bucket (so how many calls each master receives in
 * the one round trip it gets), and how the buckets' answers are merged in Node. Pure apart from
 * reading the client's slot table, which ioredis keeps in memory: it sends no command.
 */
import type { Cluster, Redis } from "ioredis";
import { currentClient } from "../connection/current.js";
import { bucketTag, keySlot } from "../keys/shards.js";
import type { ModelMeta } from "../model/meta.js";
import { directCount } from "./count-direct.js";
import type { PlanNode } from "./plan.js";

/** The calls one master receives: one per bucket it holds, written back to back (one round trip). */
export interface MasterFanOut {
  /** `host:port` of the master (on a standalone server, the server). */
  readonly master: string;
  readonly buckets: readonly number[];
  /** Calls of one query (or one aggregate) to this master: one per bucket. */
  readonly scriptCalls: number;
}

/** How one way of reading a sharded query fans out: calls per bucket read, and the merge. */
export interface FanOutStep {
  /** Calls in all, one per bucket, sent at once. */
  readonly scriptCalls: number;
  /** What each bucket's call runs: query.lua, or the one counting command it is replaced by. */
  readonly command: "query.lua" | "scard" | "zcount" | "zlexcount" | "none";
  /** How the buckets' answers become one. */
  readonly merge: string;
}

/**
 * A sharded model's fan-out: the buckets read (`plan` and `script` are those of the first), one
 * call each, sent at once (one round trip per master, the masters in parallel; on a standalone
 * server all in one round trip), and how each way of reading merges them.
 */
export interface FanOut {
  readonly shards: number;
  readonly buckets: readonly number[];
  /** Calls of the awaited query (`all()`, `values()`, `keys()`, `first()`): one per bucket. */
  readonly scriptCalls: number;
  /** How the awaited query's rows merge. */
  readonly merge: "concat" | "k-way" | "k-way top offset+limit" | "sort";
  /** The masters the buckets are on, each with its buckets and its calls per query. */
  readonly masters: readonly MasterFanOut[];
  /** `page(cursor)`: each bucket's first limit + 1 rows after the cursor's place, merged. */
  readonly page: FanOutStep & { readonly rowsPerCall: number | undefined };
  readonly count: FanOutStep;
  readonly sum: FanOutStep;
  readonly avg: FanOutStep;
  readonly min: FanOutStep;
  readonly max: FanOutStep;
  readonly countBy: FanOutStep;
}

const isCluster = (client: Redis | Cluster): client is Cluster =>
  "nodes" in client && typeof client.nodes === "function";

/**
 * The master holding a bucket: on a cluster the first node of its tag's slot in the client's slot
 * table (what ioredis routes by), on a standalone server the server itself.
 */
function masterOf(meta: ModelMeta, bucket: number): string {
  const client = currentClient();
  if (client === undefined) return "(not connected)";
  if (!isCluster(client)) return `${client.options.host ?? "127.0.0.1"}:${client.options.port ?? 6379}`;
  const slot = keySlot(bucketTag(meta.name, bucket, meta.shards));
  return client.slots[slot]?.[0] ?? `(slot ${slot}, not yet known)`;
}

/** The buckets grouped by master, masters in the order of their first bucket. */
export function mastersOf(meta: ModelMeta, buckets: readonly number[]): MasterFanOut[] {
  const by = new Map<string, number[]>();
  for (const b of buckets) {
    const master = masterOf(meta, b);
    by.set(master, [...(by.get(master) ?? []), b]);
  }
  return [...by].map(([master, held]) => ({ master, buckets: held, scriptCalls: held.length }));
}

/** The fan-out of a sharded query planned as `node` (in the first bucket) over `buckets`. */
export function describeFanOut(
  meta: ModelMeta,
  node: PlanNode,
  buckets: readonly number[],
  merge: FanOut["merge"],
  limit: number | undefined,
): FanOut {
  const calls = buckets.length;
  const script = (text: string): FanOutStep => ({ scriptCalls: calls, command: "query.lua", merge: text });
  return {
    shards: meta.shards,
    buckets,
    scriptCalls: calls,
    merge,
    masters: mastersOf(meta, buckets),
    page: {
      ...script("k-way by the page's order (ties by key after the bucket tag), first limit rows"),
      rowsPerCall: limit === undefined ? undefined : limit + 1,
    },
    count: {
      scriptCalls: calls,
      command: directCount(node, meta.expiring)?.command ?? "query.lua",
      merge: "add",
    },
    sum: script("add"),
    avg: script("total sum / total count"),
    min: script("least of the buckets' least (ties by key after the bucket tag)"),
    max: script("greatest of the buckets' greatest (ties by key after the bucket tag)"),
    countBy: script("counts of equal values added, most frequent first"),
  };
}
