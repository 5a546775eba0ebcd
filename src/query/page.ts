/**
 * `page(cursor)`: one page of a query and the cursor of the next, by keyset (src/query/cursor.ts).
 * The page is one query.lua call that starts after the cursor: in score order at the cursor's
 * rank in the sorted set (an ordered walk, or the matches sorted and cut in the script), in key
 * order after the cursor's key. One more row than the page is asked for, to know whether a next
 * page exists without another round trip. A sharded model's page reads every bucket the filter
 * can touch at once and merges them (`shardedPage`).
 */
import { QueryError, type RowProblem } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { SortedType } from "../fields/field-type.js";
import { toScore } from "../encoding/scores.js";
import type { ModelMeta } from "../model/meta.js";
import { inBucket, keyBody, modelTag, toBucket } from "../keys/keys.js";
import type { After, ServerOrder, ServerQuery } from "./compile.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { dropDrifted, planNode, type QuerySpec } from "./execute.js";
import { byBody, shardedPlan } from "./execute-sharded.js";
import { dedupeByBody, withLayout } from "../shards/read-layout.js";
import { nodeInBucket, orderInBucket, standIn } from "./fan-out.js";
import { parseOrder } from "./order.js";
import { sortedSetFor, type PlanNode } from "./plan.js";
import type { Row } from "./rows.js";
import { runQuery } from "./stepwise.js";

/** How a page is ordered: by one sorted field's score, or by instance key (ascending). */
type PageOrder =
  | { readonly by: "score"; readonly field: string; readonly key: string; readonly desc: boolean }
  | { readonly by: "key" };

const isSorted = (spec: FieldSpec | undefined): boolean =>
  spec?.kind === "sorted" || spec?.kind === "sortedKey";

/**
 * The order a page can continue by keyset: orderBy one sorted field, or no orderBy (then the
 * score of a sorted range the filter uses, as an awaited query orders, else key order).
 */
function pageOrder(meta: ModelMeta, spec: QuerySpec): PageOrder {
  const terms = parseOrder(meta, spec.order.length > 0 ? spec.order : meta.orderBy);
  const [first] = terms;
  if (terms.length === 1 && first && isSorted(meta.fields.get(first.field)))
    return {
      by: "score",
      field: first.field,
      key: sortedSetFor(meta, first.field, spec.lookups),
      desc: first.desc,
    };
  if (terms.length === 0) {
    const ranged = spec.lookups.find((l) => l.path.length === 0 && isSorted(meta.fields.get(l.field)));
    if (ranged)
      return {
        by: "score",
        field: ranged.field,
        key: sortedSetFor(meta, ranged.field, spec.lookups),
        desc: false,
      };
    return { by: "key" };
  }
  throw new QueryError(
    meta.name,
    `page() continues by the position of the last row, so it orders by one sorted field (orderBy("-pages")) ` +
      `or by instance key (no orderBy); received orderBy(${terms.map((t) => `"${t.desc ? "-" : ""}${t.field}"`).join(", ")}). ` +
      `Order by one SortedField, or page with offset() and limit().`,
    first?.field,
  );
}

/** What a cursor is bound to: the model, the order and the sorted set it walks. */
const shapeOf = (meta: ModelMeta, order: PageOrder): string =>
  order.by === "score"
    ? `${meta.name}|score|${order.desc ? "-" : ""}${order.field}|${order.key}`
    : `${meta.name}|key`;

/** One page of rows and the cursor of the next page (null after the last). */
export async function fetchPage(
  meta: ModelMeta,
  spec: QuerySpec,
  cursor: string | null | undefined,
  problems: RowProblem[],
): Promise<{ rows: Row[]; next: string | null }> {
  const limit = spec.limit;
  if (limit === undefined || limit < 1)
    throw new QueryError(
      meta.name,
      "page() needs a page size: add limit(n) with n of at least 1, e.g. .limit(20).page().",
    );
  if (spec.offset !== 0)
    throw new QueryError(meta.name, "page() continues from a cursor, not an offset; remove offset().");
  // A sharded model's page is planned on the `{Event#?}` stand-in and copied to each bucket.
  const sharded = meta.shards > 1;
  const planned = sharded ? standIn(meta) : meta;
  const order = pageOrder(planned, spec);
  const shape = shapeOf(planned, order);
  const after: After | undefined =
    cursor === undefined || cursor === null
      ? undefined
      : decodeCursor(meta.name, shape, order.by === "score", cursor);
  const serverOrder: ServerOrder =
    order.by === "score" ? { by: "score", key: order.key, desc: order.desc } : { by: "key", desc: false };
  const query = (node: PlanNode, at: After | undefined): ServerQuery => ({
    node,
    mode: "load",
    order: serverOrder,
    offset: 0,
    limit: limit + 1,
    exists: meta.expiring,
    after: at,
  });
  let rows: Row[];
  let more: boolean;
  if (sharded) {
    ({ rows, more } = await withLayout(meta, async (views) => {
      // Problems of an attempt thrown away (a retired bucket met) are not reported twice.
      const mine: RowProblem[] = [];
      const page = await shardedPage(views, spec, order, query, after, limit, mine);
      problems.push(...mine);
      return page;
    }));
  } else {
    const node = await planNode(meta, spec);
    rows = await runQuery(meta, query(node, after), { kind: "load" }, problems);
    more = rows.length + problems.length > limit;
  }
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  let next: string | null = null;
  if (more && last) {
    // The last row's score, from its stored value (as the write computed it for the sorted set).
    const score = order.by === "score" ? scoreOf(meta, order.field, last) : undefined;
    // A sharded cursor names the row by its stand-in spelling (`{Event#?}:e1`): no bucket in it.
    const key = sharded ? `${modelTag(planned)}:${keyBody(last.key)}` : last.key;
    next = encodeCursor(shape, { score, key });
  }
  return { rows: dropDrifted(meta, spec.lookups, page), next };
}

const scoreOf = (meta: ModelMeta, field: string, row: Row): number =>
  toScore((meta.fields.get(field) as FieldSpec).type as SortedType, row.values.get(field));

/**
 * A page of a sharded model: each bucket the filter can touch gives its first `limit + 1` rows
 * after the cursor (one script call each, all sent at once: one round trip per master), and the
 * page is the first `limit` of their merge. The cursor's row is in one bucket; every other bucket
 * starts at the place that row would have in it (its score, and its key after the bucket's tag),
 * so each call costs what page 1 costs, however far the page. Ties of score order by the key
 * after its tag, as one bucket's Redis (and an unsharded model's) orders them.
 */
async function shardedPage(
  views: readonly ModelMeta[],
  spec: QuerySpec,
  order: PageOrder,
  query: (node: PlanNode, at: After | undefined) => ServerQuery,
  after: After | undefined,
  limit: number,
  problems: RowProblem[],
): Promise<{ rows: Row[]; more: boolean }> {
  // One layout; or, while a reshard moves the model, the old layout's buckets not yet emptied and
  // then the new layout's (an instance in both keeps the new copy): each gives its first
  // limit + 1 after the cursor, so the merge's first `limit` are the page's.
  let overflow = false;
  const phases: Row[][] = [];
  for (const view of views) {
    const found = await layoutPage(view, spec, query, after, limit, problems);
    if (found.overflow) overflow = true;
    phases.push(found.rows);
  }
  const meta = views[views.length - 1] as ModelMeta;
  const sign = order.by === "score" && order.desc ? -1 : 1;
  const compare =
    order.by === "score"
      ? (a: Row, b: Row): number =>
          sign * (scoreOf(meta, order.field, a) - scoreOf(meta, order.field, b) || byBody(a.key, b.key))
      : (a: Row, b: Row): number => byBody(a.key, b.key);
  const rows = dedupeByBody(phases).sort(compare);
  return { rows, more: overflow || rows.length > limit };
}

/** One layout's part of a sharded page: each bucket's first limit + 1 rows after the cursor. */
async function layoutPage(
  meta: ModelMeta,
  spec: QuerySpec,
  query: (node: PlanNode, at: After | undefined) => ServerQuery,
  after: After | undefined,
  limit: number,
  problems: RowProblem[],
): Promise<{ rows: Row[]; overflow: boolean }> {
  const { node, buckets } = await shardedPlan(meta, spec);
  let overflow = false;
  const found = await Promise.all(
    buckets.map(async (b) => {
      const view = inBucket(meta, b);
      const mine: RowProblem[] = [];
      const at = after && { ...after, key: toBucket(meta, after.key, b) };
      const base = query(nodeInBucket(meta, node, b), at);
      const rows = await runQuery(
        view,
        { ...base, order: orderInBucket(meta, base.order, b) },
        { kind: "load" },
        mine,
      );
      // A bucket with more than a page (bad rows included) has rows after this page.
      if (rows.length + mine.length > limit) overflow = true;
      problems.push(...mine);
      return rows;
    }),
  );
  return { rows: found.flat(), overflow };
}
