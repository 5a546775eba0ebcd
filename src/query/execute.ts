import { getConnection, wrapRedisError } from "../connection/connection.js";
import type { FieldSpec } from "../fields/field.js";
import { valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { compileQuery, type ServerOrder } from "./compile.js";
import { directCount, type DirectCount } from "./count-direct.js";
import type { FanOut } from "./explain-fan-out.js";
import type { Row, Want } from "./rows.js";
export type { Row, Want } from "./rows.js";
import type { Lookup } from "./lookup.js";
import { compareBy, parseOrder, type OrderTerm } from "./order.js";
import { targetModel } from "../model/targets.js";
import { resolveCondition, type Condition } from "./condition.js";
import { parseLookup } from "./lookup.js";
import { intersect, sortedSetFor, type PlanNode } from "./plan.js";
import { resolveLookups } from "./traverse.js";
import { contradiction, rowChecks } from "./row-check.js";
import { reportRowProblem } from "./row-problems.js";
import { countQuery, hasGeo, loadRows, nameWrongType, planKeys, runQuery } from "./stepwise.js";
import type { RowProblem } from "../errors.js";
import { assertIndexesBuilt } from "../schema/state.js";
import { LayoutMoved, retiredCheckOf } from "../shards/read-layout.js";

/** An immutable description of a query on one model. */
export interface QuerySpec {
  /** Lookups every match must satisfy (the filter objects given to filter()). */
  readonly lookups: readonly Lookup[];
  /** Further conditions every match must satisfy: or()/and()/not() trees and exclude()s. */
  readonly conditions: readonly Condition[];
  readonly order: readonly string[];
  readonly offset: number;
  readonly limit: number | undefined;
}

/** The plan node of a whole query: its lookups and every condition, intersected. */
export async function planNode(
  meta: ModelMeta,
  spec: Pick<QuerySpec, "lookups" | "conditions">,
): Promise<PlanNode> {
  const parts = await Promise.all(spec.conditions.map((c) => resolveCondition(meta, c)));
  if (spec.lookups.length > 0 || parts.length === 0) parts.unshift(await resolveLookups(meta, spec.lookups));
  return intersect(parts);
}

const isSortedKind = (spec: FieldSpec | undefined): boolean =>
  spec?.kind === "sorted" || spec?.kind === "sortedKey";
const isKeyKind = (meta: ModelMeta, field: string): boolean => meta.keyFields.includes(field);

/**
 * Chooses where ordering happens. Redis orders by a sorted field's score (and then pages, so the
 * first page of a million matches costs what the first page of ten does), or by key bytes when
 * the caller pages without an order. Anything else is ordered here after the values are read.
 */
export function serverOrder(
  meta: ModelMeta,
  spec: QuerySpec,
  terms: readonly OrderTerm[],
  node: PlanNode,
): ServerOrder | undefined | "client" {
  if (terms.length === 0) {
    // Without an order: nearest first after a geo filter, else score order of a sorted range the
    // filter used (Popoto's default), else key order when paging (so pages are stable).
    if (hasGeo(node)) return { by: "geo" };
    const ranged = spec.lookups.find((l) => l.path.length === 0 && isSortedKind(meta.fields.get(l.field)));
    if (ranged) return { by: "score", key: sortedSetFor(meta, ranged.field, spec.lookups), desc: false };
    return spec.offset > 0 || spec.limit !== undefined ? { by: "key", desc: false } : undefined;
  }
  const [first] = terms;
  if (terms.length === 1 && first && isSortedKind(meta.fields.get(first.field))) {
    try {
      return { by: "score", key: sortedSetFor(meta, first.field, spec.lookups), desc: first.desc };
    } catch {
      return "client"; // a partitioned field ordered across partitions: order the values here
    }
  }
  return "client";
}

/**
 * Leaves out the rows whose values (in hand: loaded, or parsed from the key) contradict the
 * filter, and reports each as drift (src/query/row-problems.ts): the index named them, the data
 * does not, so returning them would return a wrong row.
 */
export function dropDrifted(meta: ModelMeta, lookups: readonly Lookup[], rows: Row[]): Row[] {
  if (lookups.length === 0) return rows;
  const checks = rowChecks(meta, lookups);
  if (checks.length === 0) return rows;
  return rows.filter((row) => {
    const found = contradiction(meta, row.key, row.values, checks);
    if (found === undefined) return true;
    reportRowProblem({ kind: "drift", model: meta.name, key: row.key, ...found });
    return false;
  });
}

/** Runs a query and returns its rows, ordered and paged; rows that drifted from their index are reported, not returned. */
export async function fetchRows(
  meta: ModelMeta,
  spec: QuerySpec,
  want: Want,
  problems?: RowProblem[],
): Promise<Row[]> {
  return dropDrifted(meta, spec.lookups, await fetchMatches(meta, spec, want, problems));
}

/**
 * The query's rows, ordered and paged. With `problems`, a matched row that cannot be read is
 * listed there and left out; without, its CorruptDataError is thrown.
 */
async function fetchMatches(
  meta: ModelMeta,
  spec: QuerySpec,
  want: Want,
  problems?: RowProblem[],
): Promise<Row[]> {
  const node = await planNode(meta, spec);
  const terms = parseOrder(meta, spec.order.length > 0 ? spec.order : meta.orderBy);
  const order = serverOrder(meta, spec, terms, node);
  const exists = meta.expiring;
  if (order !== "client") {
    const mode = want.kind;
    return runQuery(
      meta,
      {
        node,
        mode,
        fields: want.kind === "fields" ? want.fields : undefined,
        order,
        offset: spec.offset,
        limit: spec.limit,
        exists,
      },
      want,
      problems,
    );
  }
  const page = <T>(items: T[]): T[] =>
    items.slice(spec.offset, spec.limit === undefined ? undefined : spec.offset + spec.limit);
  const compare = compareBy(terms);
  if (terms.every((t) => isKeyKind(meta, t.field))) {
    // Order by key fields: the keys hold the values, so only the page's hashes are read.
    const keyed = await runQuery(meta, { node, mode: "keys", exists }, { kind: "keys" });
    keyed.sort((a, b) => compare(a.values, b.values) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return loadRows(
      meta,
      page(keyed).map((r) => r.key),
      want,
      problems,
    );
  }
  const needed: Want =
    want.kind === "load"
      ? want
      : {
          kind: "fields",
          fields: [
            ...new Set([...(want.kind === "fields" ? want.fields : []), ...terms.map((t) => t.field)]),
          ],
        };
  const rows = await runQuery(
    meta,
    { node, mode: needed.kind, fields: needed.kind === "fields" ? needed.fields : undefined, exists },
    needed,
    problems,
  );
  rows.sort((a, b) => compare(a.values, b.values) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const paged = page(rows);
  if (want.kind === "keys")
    return paged.map((r) => ({ key: r.key, values: valuesFromKey(meta, r.key), hash: undefined }));
  return paged;
}

/**
 * One index counted by one command (see count-direct.ts); undefined when a lex index turns out
 * incomplete (instances written by a client that does not keep it), so query.lua's scan answers.
 */
async function runDirectCount(count: DirectCount): Promise<number | undefined> {
  try {
    return await sendDirectCount(count);
  } catch (error) {
    // As query.lua's errors: a lost connection is a ConnectionError, not ioredis's own error.
    throw wrapRedisError(error);
  }
}

async function sendDirectCount(count: DirectCount): Promise<number | undefined> {
  const redis = getConnection();
  switch (count.command) {
    case "none":
      return 0;
    case "scard":
      return redis.scard(count.key);
    case "zcount":
      return redis.zcount(count.key, count.min, count.max);
    case "zlexcount": {
      // One round trip: the range and the three counts that say whether the index is complete.
      const replies = (await redis
        .pipeline()
        .zlexcount(count.key, count.min, count.max)
        .zcard(count.key)
        .scard(count.classKey)
        .scard(count.noneKey)
        .exec()) as [Error | null, number][];
      const [range, lex, all, none] = replies.map(([error, value]) => {
        if (error) throw error;
        return value;
      }) as [number, number, number, number];
      return lex === all - none ? range : undefined;
    }
  }
}

/** Counts the matches of a query (hashes that expired are not counted). */
export async function countRows(
  meta: ModelMeta,
  spec: Pick<QuerySpec, "lookups" | "conditions">,
): Promise<number> {
  return countNode(meta, await planNode(meta, spec));
}

/** Counts the matches of a plan node on one model (one bucket's view of a sharded one). */
export async function countNode(meta: ModelMeta, node: PlanNode): Promise<number> {
  const direct = directCount(node, meta.expiring);
  if (direct) {
    await assertIndexesBuilt(meta, [...planKeys(node)]);
    // Plain commands, not runScript: their failures need the same PopotoErrors a script's get.
    const counting = runDirectCount(direct).catch(async (error: unknown) => {
      throw wrapRedisError(await nameWrongType(meta, error, [...planKeys(node)]));
    });
    // A sharded bucket: its `$Retired` check is sent right after the count, on the same connection
    // (same slot), so it runs after it: not retired then, not retired when counted.
    const check = retiredCheckOf(meta);
    const retired = check ? getConnection().sismember(check.key, check.member) : undefined;
    const [counted, member] = await Promise.all([
      counting,
      (retired ?? Promise.resolve(0)).catch((error: unknown) => Promise.reject(wrapRedisError(error))),
    ]);
    if (member === 1) throw new LayoutMoved(meta.name);
    if (counted !== undefined) return counted;
  }
  return countQuery(meta, node);
}

/** SCARD of one index set (a relationship's reverse set: `count({ author })`), as countRows would send it. */
export async function countSet(meta: ModelMeta, key: string): Promise<number> {
  await assertIndexesBuilt(meta, [key]);
  return runDirectCount({ command: "scard", key }).then(
    (counted) => counted ?? 0,
    async (error: unknown) => {
      throw wrapRedisError(await nameWrongType(meta, error, [key]));
    },
  );
}

/** Relationship hops a lookup crosses (`a__b__name` through two relationships is 2). */
function hops(meta: ModelMeta, lookup: Lookup): number {
  const [head] = lookup.path;
  if (head === undefined) return 0;
  const target = targetModel(meta.name, head, meta.fields.get(head) as FieldSpec).meta;
  return 1 + hops(target, parseLookup(target, lookup.field, lookup.value));
}

const conditionLookups = (condition: Condition): Lookup[] =>
  condition.t === "lookups"
    ? [...condition.lookups]
    : condition.t === "not"
      ? conditionLookups(condition.c)
      : condition.c.flatMap(conditionLookups);

/** How a query will run: its plan, the index keys it reads, where it orders, its round trips. */
/** What `query.explain()` returns: how the query will run, without running it. */
export interface QueryExplanation {
  readonly model: string;
  /** The plan tree: index keys and the set operations between them, as query.lua evaluates them. */
  readonly plan: PlanNode;
  /** Every index key the final script reads. */
  readonly indexKeys: readonly string[];
  /** Where ordering happens: in Redis by a sorted set's score, by key, or in Node after loading. */
  readonly order: "none" | "redis-score" | "redis-key" | "redis-geo" | "client";
  /** Round trips to load the result: one per relationship hop resolved first, one for the script, one more when ordering by key fields in Node. */
  readonly roundTrips: number;
  /**
   * The query.lua call that loads the result, as data: KEYS (the same list as `indexKeys`) and
   * ARGV (the plan as JSON first, then the strings it names by position). `offset`/`limit` and
   * the scan budget of the real call are left out, so the call is the same for every page.
   */
  readonly script: { readonly keys: readonly string[]; readonly args: readonly (string | number)[] };
  /**
   * A sharded model's fan-out (docs/storage.md §7a, src/query/explain-fan-out.ts): the buckets
   * read (`plan` and `script` are those of the first), the masters holding them, and for the
   * awaited query, `page()` and each aggregate the calls per bucket and how they merge.
   */
  readonly fanOut?: FanOut;
}

export async function explainQuery(meta: ModelMeta, spec: QuerySpec): Promise<QueryExplanation> {
  const node = await planNode(meta, spec);
  const terms = parseOrder(meta, spec.order.length > 0 ? spec.order : meta.orderBy);
  const order = serverOrder(meta, spec, terms, node);
  const call = compileQuery({
    node,
    mode: "load",
    order: order === "client" ? undefined : order,
    exists: false,
  });
  const lookups = [...spec.lookups, ...spec.conditions.flatMap(conditionLookups)];
  const depth = Math.max(0, ...lookups.map((l) => hops(meta, l)));
  const keyOrdered = order === "client" && terms.every((t) => isKeyKind(meta, t.field));
  return {
    model: meta.name,
    plan: node,
    indexKeys: call.keys,
    order: order === undefined ? "none" : order === "client" ? "client" : (`redis-${order.by}` as const),
    roundTrips: depth + 1 + (keyOrdered ? 1 : 0),
    script: {
      keys: call.keys,
      args: call.args.map((arg) => (Buffer.isBuffer(arg) ? arg.toString("utf8") : arg)),
    },
  };
}
