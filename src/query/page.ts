/**
 * `page(cursor)`: one page of a query and the cursor of the next, by keyset (src/query/cursor.ts).
 * The page is one query.lua call that starts after the cursor: in score order at the cursor's
 * rank in the sorted set (an ordered walk, or the matches sorted and cut in the script), in key
 * order after the cursor's key. One more row than the page is asked for, to know whether a next
 * page exists without another round trip.
 */
import { QueryError, type RowProblem } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { SortedType } from "../fields/field-type.js";
import { toScore } from "../encoding/scores.js";
import type { ModelMeta } from "../model/meta.js";
import type { After, ServerOrder } from "./compile.js";
import { decodeCursor, encodeCursor } from "./cursor.js";
import { dropDrifted, planNode, type QuerySpec } from "./execute.js";
import { parseOrder } from "./order.js";
import { sortedSetFor } from "./plan.js";
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
  const order = pageOrder(meta, spec);
  const shape = shapeOf(meta, order);
  const after: After | undefined =
    cursor === undefined || cursor === null
      ? undefined
      : decodeCursor(meta.name, shape, order.by === "score", cursor);
  const node = await planNode(meta, spec);
  const serverOrder: ServerOrder =
    order.by === "score" ? { by: "score", key: order.key, desc: order.desc } : { by: "key", desc: false };
  const rows = await runQuery(
    meta,
    {
      node,
      mode: "load",
      order: serverOrder,
      offset: 0,
      limit: limit + 1,
      exists: meta.expiring,
      after,
    },
    { kind: "load" },
    problems,
  );
  const more = rows.length + problems.length > limit;
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  let next: string | null = null;
  if (more && last) {
    // The last row's score, from its stored value (as the write computed it for the sorted set).
    const score =
      order.by === "score"
        ? toScore(
            (meta.fields.get(order.field) as FieldSpec).type as SortedType,
            last.values.get(order.field),
          )
        : undefined;
    next = encodeCursor(shape, { score, key: last.key });
  }
  return { rows: dropDrifted(meta, spec.lookups, page), next };
}
