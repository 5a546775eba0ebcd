/**
 * One page of a model's instances for the studio's table: filtered with the same lookups as
 * `filter()`, ordered by a sorted field's score, and paged in Redis (query.lua), so a page of a
 * million instances costs what a page of ten does. Only the page's hashes are read.
 */
import type { Redis } from "ioredis";
import { isPopotoError, QueryError } from "../errors.js";
import type { ModelMeta } from "../model/meta.js";
import { toCondition } from "../query/condition.js";
import { countRows, fetchRows, type QuerySpec } from "../query/execute.js";
import { sortedSetFor } from "../query/plan.js";
import { parseFilterText } from "./filter-text.js";
import { readHashes, type StoredInstance } from "./read-hash.js";

/** Rows per page of a model's table, unless `?size=` says otherwise. */
export const PAGE_SIZE = 25;

/** What the table asks for: filter box text, `-pages` style order, 1-based page, page size. */
export interface PageRequest {
  readonly filter: string;
  readonly order: string;
  readonly page: number;
  readonly size: number;
}

/** One page of a model, or the error the filter or order gave (as `filter()` would throw it). */
export interface ModelPage {
  readonly request: PageRequest;
  readonly total: number;
  readonly rows: readonly StoredInstance[];
  /** The order applied: the request's, the model's default when Redis can apply it, or "" (key order). */
  readonly order: string;
  readonly error: { readonly code: string; readonly message: string } | undefined;
}

/** Sorted fields the table can order by in Redis (a partitioned one needs its partition in the filter). */
export const sortableFields = (meta: ModelMeta): string[] =>
  meta.fieldNames.filter((name) => {
    const kind = meta.fields.get(name)?.kind;
    return kind === "sorted" || kind === "sortedKey";
  });

/**
 * The order to apply, checked so that Redis applies it: a single sorted field (its partition
 * given by the filter). Any other order would load every match into Node to sort it.
 */
function serverOrder(meta: ModelMeta, requested: string, spec: Pick<QuerySpec, "lookups">): string {
  const check = (term: string): void => {
    const field = term.replace(/^-/, "");
    if (!sortableFields(meta).includes(field))
      throw new QueryError(
        meta.name,
        `the studio orders by one sorted field, in Redis; "${term}" is not one (sortable: ${sortableFields(meta).join(", ") || "none"}).`,
        field,
      );
    sortedSetFor(meta, field, spec.lookups); // throws when the partition is not given
  };
  if (requested !== "") {
    check(requested);
    return requested;
  }
  const [first, ...rest] = meta.orderBy;
  if (first === undefined || rest.length > 0) return "";
  try {
    check(first);
    return first;
  } catch {
    return ""; // the model's default order needs Node-side sorting: page by key instead
  }
}

const errorOf = (error: unknown): { code: string; message: string } => {
  if (isPopotoError(error)) return { code: error.code, message: error.message };
  throw error;
};

/** Reads one page: count and keys by query.lua, then the page's hashes in one pipeline. */
export async function readModelPage(redis: Redis, meta: ModelMeta, request: PageRequest): Promise<ModelPage> {
  let spec: QuerySpec;
  let order: string;
  try {
    const where = parseFilterText(meta, request.filter);
    const condition = toCondition(meta, where);
    const lookups = condition.t === "lookups" ? condition.lookups : [];
    const conditions = condition.t === "lookups" ? [] : [condition];
    order = serverOrder(meta, request.order, { lookups });
    spec = {
      lookups,
      conditions,
      order: order === "" ? [] : [order],
      offset: (request.page - 1) * request.size,
      limit: request.size,
    };
  } catch (error) {
    return { request, total: 0, rows: [], order: request.order, error: errorOf(error) };
  }
  try {
    // The model's own default order is not applied when it would sort in Node (see serverOrder).
    const paged: ModelMeta = order === "" && meta.orderBy.length > 0 ? { ...meta, orderBy: [] } : meta;
    const [total, keys] = await Promise.all([
      countRows(meta, spec),
      fetchRows(paged, spec, { kind: "keys" }),
    ]);
    const rows = await readHashes(
      redis,
      meta,
      keys.map((row) => row.key),
    );
    return { request, total, rows, order, error: undefined };
  } catch (error) {
    return { request, total: 0, rows: [], order, error: errorOf(error) };
  }
}
