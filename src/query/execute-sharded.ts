/**
 * Queries of a sharded model (docs/storage.md §7a): planned once on the stand-in bucket, copied to
 * each bucket the filter can touch, sent to every bucket at once (ioredis writes the calls bound
 * for one master back to back: one round trip per master, all masters in parallel; on a
 * standalone server all of them in one round trip), and merged here. Ordered pages read each
 * bucket's top offset + limit in Redis and merge them k-way; counts add up.
 */
import type { RowProblem } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { SortedType } from "../fields/field-type.js";
import { toScore } from "../encoding/scores.js";
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { bucketOfInstanceKey, inBucket, keyBody, layoutView, toBucket } from "../keys/keys.js";
import { layoutOf } from "../shards/layout.js";
import { dedupeByBody, LayoutMoved, phaseBuckets, withLayout } from "../shards/read-layout.js";
import { QueryError } from "../errors.js";
import { valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { compileQuery, type ServerOrder } from "./compile.js";
import {
  countNode,
  dropDrifted,
  planNode,
  serverOrder,
  type QueryExplanation,
  type QuerySpec,
} from "./execute.js";
import { describeFanOut } from "./explain-fan-out.js";
import { nodeInBucket, orderInBucket, queryBuckets, standIn } from "./fan-out.js";
import { iterateRows } from "./iterate.js";
import { compareBy, parseOrder, type OrderTerm } from "./order.js";
import type { PlanNode } from "./plan.js";
import type { Row, Want } from "./rows.js";
import { loadRows, runQuery } from "./stepwise.js";
export { shardedKeys } from "./fan-out.js";

/** Key bodies in code-point order: what an unsharded model's keys sort by after the shared tag. */
export const byBody = (a: string, b: string): number => {
  const x = keyBody(a);
  const y = keyBody(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** The plan of a sharded query (on the stand-in bucket) and the buckets it reads. */
export async function shardedPlan(
  meta: ModelMeta,
  spec: Pick<QuerySpec, "lookups" | "conditions">,
): Promise<{ node: PlanNode; buckets: number[] }> {
  const node = await centreOnPoints(meta, await planNode(standIn(meta), spec));
  return { node, buckets: phaseBuckets(meta, queryBuckets(meta, spec.lookups)) };
}

/**
 * A geo filter centred on an instance (`{ member, radius }`): that instance is in one bucket, so
 * its position is read there (GEOPOS) and every bucket searches around the point.
 */
async function centreOnPoints(meta: ModelMeta, node: PlanNode): Promise<PlanNode> {
  switch (node.t) {
    case "geo": {
      if (node.member === undefined) return node;
      const bucket = bucketOfInstanceKey(meta, node.member);
      const [position] =
        bucket === undefined
          ? [null]
          : await getConnection()
              .geopos(toBucket(meta, node.key, bucket), node.member)
              .catch((error: unknown) => {
                throw wrapRedisError(error);
              });
      if (!position) return { t: "none" };
      return { ...node, member: undefined, longitude: Number(position[0]), latitude: Number(position[1]) };
    }
    case "and":
    case "or":
      return { ...node, c: await Promise.all(node.c.map((c) => centreOnPoints(meta, c))) };
    case "diff":
      return {
        ...node,
        a: await centreOnPoints(meta, node.a),
        b: await Promise.all(node.b.map((c) => centreOnPoints(meta, c))),
      };
    default:
      return node;
  }
}

/** The sorted field a server score order follows (the ordered field, or the ranged one). */
function scoreField(meta: ModelMeta, spec: QuerySpec, terms: readonly OrderTerm[]): OrderTerm {
  const [first] = terms;
  if (first) return first;
  const ranged = spec.lookups.find((l) => {
    const kind = meta.fields.get(l.field)?.kind;
    return l.path.length === 0 && (kind === "sorted" || kind === "sortedKey");
  });
  return { field: ranged?.field ?? "", desc: false };
}

/** How rows of several buckets merge into the order one bucket's Redis would give. */
function merger(
  meta: ModelMeta,
  spec: QuerySpec,
  terms: readonly OrderTerm[],
  order: ServerOrder,
): (a: Row, b: Row) => number {
  if (order.by === "key") return (a, b) => (order.desc ? -1 : 1) * byBody(a.key, b.key);
  if (order.by === "geo") return (a, b) => (a.distance ?? 0) - (b.distance ?? 0) || byBody(a.key, b.key);
  const { field, desc } = scoreField(meta, spec, terms);
  const type = (meta.fields.get(field) as FieldSpec).type as SortedType;
  const score = (row: Row): number => {
    const value = row.values.get(field);
    return value === null || value === undefined ? Number.NEGATIVE_INFINITY : toScore(type, value);
  };
  // Redis orders equal scores by member bytes, reversed with the order.
  return (a, b) => (desc ? -1 : 1) * (score(a) - score(b) || byBody(a.key, b.key));
}

/**
 * The rows of a sharded query, ordered and paged; drifted rows are reported, not returned. Read
 * in the stored layout; while a reshard moves the model, in both layouts (src/shards/read-layout.ts).
 */
export function fetchShardedRows(
  meta: ModelMeta,
  spec: QuerySpec,
  want: Want,
  problems?: RowProblem[],
): Promise<Row[]> {
  return withLayout(meta, async (views) => {
    // Problems of an attempt thrown away (a retired bucket met) are not reported twice.
    const mine: RowProblem[] = [];
    const rows =
      views.length === 1
        ? await fetchLayoutRows(views[0] as ModelMeta, spec, want, mine)
        : await fetchMovingRows(views, spec, want, mine);
    problems?.push(...mine);
    return rows;
  });
}

/**
 * The rows of a query while a reshard moves the model: each phase's first offset + limit, whole
 * rows (so any order can be merged), phase after phase; an instance found in both keeps the new
 * layout's copy; then merged in the query's order and paged. Costlier than a settled read (whole
 * rows, two round trips), and only while a reshard runs.
 */
export async function fetchMovingRows(
  views: readonly ModelMeta[],
  spec: QuerySpec,
  want: Want,
  problems?: RowProblem[],
): Promise<Row[]> {
  const end = spec.limit === undefined ? undefined : spec.offset + spec.limit;
  const found: Row[][] = [];
  for (const view of views)
    found.push(await fetchLayoutRows(view, { ...spec, offset: 0, limit: end }, { kind: "load" }, problems));
  const last = views[views.length - 1] as ModelMeta;
  const compare = await rowOrder(last, spec);
  const merged = dedupeByBody(found);
  const rows = (compare ? merged.sort(compare) : merged).slice(spec.offset, end);
  return want.kind === "keys"
    ? rows.map((r) => ({ key: r.key, values: valuesFromKey(last, r.key), hash: undefined }))
    : rows;
}

/** How a sharded query's rows of several buckets merge: undefined when the query has no order. */
async function rowOrder(meta: ModelMeta, spec: QuerySpec): Promise<((a: Row, b: Row) => number) | undefined> {
  const { node } = await shardedPlan(meta, spec);
  const terms = parseOrder(meta, spec.order.length > 0 ? spec.order : meta.orderBy);
  const order = serverOrder(standIn(meta), spec, terms, node);
  if (order === undefined) return undefined;
  if (order !== "client") return merger(meta, spec, terms, order);
  const compare = compareBy(terms);
  return (a, b) => compare(a.values, b.values) || byBody(a.key, b.key);
}

/** The rows of a sharded query in one layout (`meta`: its view, or a read phase's). */
async function fetchLayoutRows(
  meta: ModelMeta,
  spec: QuerySpec,
  want: Want,
  problems?: RowProblem[],
): Promise<Row[]> {
  const { node, buckets } = await shardedPlan(meta, spec);
  const terms = parseOrder(meta, spec.order.length > 0 ? spec.order : meta.orderBy);
  const order = serverOrder(standIn(meta), spec, terms, node);
  const exists = meta.expiring;
  const each = (run: (view: ModelMeta, node: PlanNode, bucket: number) => Promise<Row[]>): Promise<Row[][]> =>
    Promise.all(buckets.map((b) => run(inBucket(meta, b), nodeInBucket(meta, node, b), b)));
  const end = spec.limit === undefined ? undefined : spec.offset + spec.limit;
  const page = (rows: Row[]): Row[] => rows.slice(spec.offset, end);
  const asKeys = (rows: Row[]): Row[] =>
    want.kind === "keys"
      ? rows.map((r) => ({ key: r.key, values: valuesFromKey(meta, r.key), hash: undefined }))
      : rows;
  // Fields a merge compares, besides what the caller wants.
  const withFields = (fields: readonly string[]): Want =>
    want.kind === "load" || fields.length === 0
      ? want
      : { kind: "fields", fields: [...new Set([...(want.kind === "fields" ? want.fields : []), ...fields])] };

  let rows: Row[];
  if (order === undefined) {
    const found = await each((view, n) =>
      runQuery(
        view,
        { node: n, mode: want.kind, fields: want.kind === "fields" ? want.fields : undefined, exists },
        want,
        problems,
      ),
    );
    rows = found.flat();
  } else if (order !== "client") {
    // Each bucket's first offset + limit in Redis's order, then a merge of those.
    const needed = withFields(order.by === "score" ? [scoreField(meta, spec, terms).field] : []);
    const found = await each((view, n, b) =>
      runQuery(
        view,
        {
          node: n,
          mode: needed.kind,
          fields: needed.kind === "fields" ? needed.fields : undefined,
          order: orderInBucket(meta, order, b),
          offset: 0,
          limit: end,
          exists,
        },
        needed,
        problems,
      ),
    );
    rows = asKeys(page(found.flat().sort(merger(meta, spec, terms, order))));
  } else {
    const compare = compareBy(terms);
    const sort = (list: Row[]): Row[] =>
      list.sort((a, b) => compare(a.values, b.values) || byBody(a.key, b.key));
    if (terms.every((t) => meta.keyFields.includes(t.field))) {
      // Ordered by key fields: the keys hold the values, so only the page's hashes are read.
      const keyed = sort(
        (await each((view, n) => runQuery(view, { node: n, mode: "keys", exists }, { kind: "keys" }))).flat(),
      );
      rows = await loadInOrder(
        meta,
        page(keyed).map((r) => r.key),
        want,
        problems,
      );
    } else {
      const needed = withFields(terms.map((t) => t.field));
      const found = await each((view, n) =>
        runQuery(
          view,
          {
            node: n,
            mode: needed.kind,
            fields: needed.kind === "fields" ? needed.fields : undefined,
            exists,
          },
          needed,
          problems,
        ),
      );
      rows = asKeys(page(sort(found.flat())));
    }
  }
  return dropDrifted(meta, spec.lookups, rows);
}

/** Rows of keys of several buckets, read per bucket at once and returned in the keys' order. */
async function loadInOrder(
  meta: ModelMeta,
  keys: readonly string[],
  want: Want,
  problems?: RowProblem[],
): Promise<Row[]> {
  const byTag = new Map<string, string[]>();
  for (const key of keys) {
    const tag = key.slice(0, key.indexOf("}") + 1);
    byTag.set(tag, [...(byTag.get(tag) ?? []), key]);
  }
  const loaded = await Promise.all([...byTag.values()].map((group) => loadRows(meta, group, want, problems)));
  const rows = new Map(loaded.flat().map((row) => [row.key, row]));
  return keys.flatMap((key) => rows.get(key) ?? []);
}

/** How many instances of a sharded model match: each bucket counted at once, added up. */
export function countShardedRows(
  meta: ModelMeta,
  spec: Pick<QuerySpec, "lookups" | "conditions">,
): Promise<number> {
  return withLayout(meta, async (views) => {
    if (views.length > 1) {
      // While moving, an instance may be counted in both layouts: count the keys, deduplicated.
      const all = { ...spec, order: [], offset: 0, limit: undefined };
      const found: Row[][] = [];
      for (const view of views) found.push(await fetchLayoutRows(view, all, { kind: "keys" }));
      return dedupeByBody(found).length;
    }
    const view = views[0] as ModelMeta;
    const { node, buckets } = await shardedPlan(view, spec);
    const counts = await Promise.all(
      buckets.map((b) => countNode(inBucket(view, b), nodeInBucket(view, node, b))),
    );
    return counts.reduce((a, b) => a + b, 0);
  });
}

/** Streams a sharded query's matches bucket after bucket, `batchSize` at a time. */
export async function* iterateShardedRows(
  meta: ModelMeta,
  spec: Pick<QuerySpec, "lookups" | "conditions">,
  batchSize: number,
  problems?: RowProblem[],
): AsyncGenerator<Row[]> {
  // The layout is read once: an iteration is not a snapshot (as for an unsharded model, an instance
  // changed meanwhile may be missed), but while moving it reads the old layout's buckets first and
  // skips in the new one what it has yielded already.
  const views = await withLayout(meta, (found) => Promise.resolve(found));
  try {
    yield* iterateViews(views, spec, batchSize, problems);
  } catch (error) {
    if (!(error instanceof LayoutMoved)) throw error;
    throw new QueryError(
      meta.name,
      "a reshard retired a bucket while iterate() was reading it, so the rest of the iteration could miss " +
        "moved instances; iterate again (the instances yielded so far were read correctly).",
    );
  }
}

/** iterate() over the views of one layout read (one, or two while a reshard moves the model). */
async function* iterateViews(
  views: readonly ModelMeta[],
  spec: Pick<QuerySpec, "lookups" | "conditions">,
  batchSize: number,
  problems?: RowProblem[],
): AsyncGenerator<Row[]> {
  const seen = views.length > 1 ? new Set<string>() : undefined;
  for (const view of views) {
    const { node, buckets } = await shardedPlan(view, spec);
    for (const b of buckets)
      for await (const rows of iterateRows(
        inBucket(view, b),
        nodeInBucket(view, node, b),
        batchSize,
        problems,
      )) {
        if (!seen) {
          yield rows;
          continue;
        }
        const fresh = rows.filter((row) => !seen.has(keyBody(row.key)));
        for (const row of fresh) seen.add(keyBody(row.key));
        if (fresh.length > 0) yield fresh;
      }
  }
}

/** `explain()` of a sharded query: the first bucket's plan and script, and the fan-out of each way of reading it. */
export async function explainSharded(declared: ModelMeta, spec: QuerySpec): Promise<QueryExplanation> {
  const layout = await layoutOf(declared);
  const meta = layoutView(declared, layout.to ?? layout.count);
  const { node, buckets } = await shardedPlan(meta, spec);
  const terms = parseOrder(meta, spec.order.length > 0 ? spec.order : meta.orderBy);
  const order = serverOrder(standIn(meta), spec, terms, node);
  const first = buckets[0] ?? 0;
  const inFirst = nodeInBucket(meta, node, first);
  const call = compileQuery({
    node: inFirst,
    mode: "load",
    order: order === "client" ? undefined : orderInBucket(meta, order, first),
    exists: false,
  });
  const keyOrdered =
    order === "client" && terms.length > 0 && terms.every((t) => meta.keyFields.includes(t.field));
  return {
    model: meta.name,
    plan: inFirst,
    indexKeys: call.keys,
    order: order === undefined ? "none" : order === "client" ? "client" : (`redis-${order.by}` as const),
    roundTrips: 1 + (keyOrdered ? 1 : 0),
    script: {
      keys: call.keys,
      args: call.args.map((arg) => (Buffer.isBuffer(arg) ? arg.toString("utf8") : arg)),
    },
    fanOut: {
      ...describeFanOut(
        meta,
        inFirst,
        buckets,
        order === undefined
          ? "concat"
          : order === "client"
            ? "sort"
            : spec.limit === undefined && spec.offset === 0
              ? "k-way"
              : "k-way top offset+limit",
        spec.limit,
      ),
      ...(layout.to === undefined
        ? {}
        : { reshard: { from: layout.count, to: layout.to, bucketsLeft: layout.count - layout.done.size } }),
    },
  };
}
