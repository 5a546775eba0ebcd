import { getConnection } from "../connection/connection.js";
import type { FieldSpec } from "../fields/field.js";
import { decodeValue, hashFromFlat, valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { purgeKey } from "../write/execute-write.js";
import { compileQuery, type ServerOrder, type ServerQuery } from "./compile.js";
import type { Lookup } from "./lookup.js";
import { compareBy, parseOrder, type OrderTerm } from "./order.js";
import { sortedSetFor, type PlanNode } from "./plan.js";
import { resolveLookups } from "./traverse.js";

/** An immutable description of a query on one model. */
export interface QuerySpec {
  readonly lookups: readonly Lookup[];
  readonly order: readonly string[];
  readonly offset: number;
  readonly limit: number | undefined;
}

/** What a query returns per match: whole hashes, some fields, or just keys. */
export type Want =
  | { readonly kind: "load" }
  | { readonly kind: "fields"; readonly fields: readonly string[] }
  | { readonly kind: "keys" };

/** One match: its key, decoded values, and (for whole loads) the raw hash, which becomes the save snapshot. */
export interface Row {
  readonly key: string;
  readonly values: Map<string, unknown>;
  readonly hash: Map<string, Buffer> | undefined;
}

const planNode = (meta: ModelMeta, lookups: readonly Lookup[]): Promise<PlanNode> =>
  resolveLookups(meta, lookups);

const isSortedKind = (spec: FieldSpec | undefined): boolean =>
  spec?.kind === "sorted" || spec?.kind === "sortedKey";
const isKeyKind = (meta: ModelMeta, field: string): boolean => meta.keyFields.includes(field);

/**
 * Chooses where ordering happens. Redis orders by a sorted field's score (and then pages, so the
 * first page of a million matches costs what the first page of ten does), or by key bytes when
 * the caller pages without an order. Anything else is ordered here after the values are read.
 */
function serverOrder(
  meta: ModelMeta,
  spec: QuerySpec,
  terms: readonly OrderTerm[],
): ServerOrder | undefined | "client" {
  if (terms.length === 0)
    return spec.offset > 0 || spec.limit !== undefined ? { by: "key", desc: false } : undefined;
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

const text = (b: ScriptReply | undefined): string => (Buffer.isBuffer(b) ? b.toString("utf8") : String(b));

const decodeRow = (
  meta: ModelMeta,
  key: string,
  data: ScriptReply | undefined,
  want: Want,
): Row | undefined => {
  if (want.kind === "keys") return { key, values: valuesFromKey(meta, key), hash: undefined };
  const list = Array.isArray(data) ? data : [];
  if (list.length === 0) return undefined; // the hash is gone: a leftover entry
  if (want.kind === "fields") {
    const values = new Map<string, unknown>();
    want.fields.forEach((name, i) => {
      const bytes = list[i];
      values.set(name, Buffer.isBuffer(bytes) ? decodeValue(meta, key, name, bytes) : null);
    });
    return { key, values, hash: undefined };
  }
  const hash = hashFromFlat(list as Buffer[]);
  const values = new Map<string, unknown>();
  for (const name of meta.fieldNames) {
    const bytes = hash.get(name);
    values.set(name, bytes === undefined ? null : decodeValue(meta, key, name, bytes));
  }
  return { key, values, hash };
};

/** Removes the index entries of matches whose hash is gone, so they stop costing later queries. */
const purge = async (meta: ModelMeta, keys: readonly string[]): Promise<void> => {
  await Promise.all(keys.map((key) => purgeKey(meta, key)));
};

async function runServer(meta: ModelMeta, query: ServerQuery, want: Want): Promise<Row[]> {
  const call = compileQuery(query);
  const reply = (await runScript(getConnection(), scripts.query, call.keys, call.args)) as ScriptReply[];
  const rows: Row[] = [];
  const gone: string[] = [];
  const step = want.kind === "keys" ? 1 : 2;
  for (let i = 1; i < reply.length; i += step) {
    const key = text(reply[i]);
    const row = decodeRow(meta, key, reply[i + 1], want);
    if (row) rows.push(row);
    else gone.push(key);
  }
  if (gone.length > 0) await purge(meta, gone);
  return rows;
}

/** Reads the page's data for keys already chosen (after ordering by key fields here). */
async function fetchByKeys(meta: ModelMeta, keys: readonly string[], want: Want): Promise<Row[]> {
  if (want.kind === "keys" || keys.length === 0)
    return keys.map((key) => ({ key, values: valuesFromKey(meta, key), hash: undefined }));
  const pipeline = getConnection().pipeline();
  for (const key of keys) {
    if (want.kind === "load") pipeline.hgetallBuffer(key);
    else pipeline.hmgetBuffer(key, ...want.fields);
  }
  const results = (await pipeline.exec()) ?? [];
  const rows: Row[] = [];
  const gone: string[] = [];
  keys.forEach((key, i) => {
    const [error, data] = results[i] ?? [null, null];
    if (error) throw error;
    let flat: ScriptReply;
    if (want.kind === "load") {
      flat = Object.entries((data ?? {}) as Record<string, Buffer>).flatMap(([k, v]) => [Buffer.from(k), v]);
    } else {
      const values = (data ?? []) as (Buffer | null)[];
      flat = values.every((v) => v === null) ? [] : (values as ScriptReply[]);
    }
    const row = decodeRow(meta, key, flat, want);
    if (row) rows.push(row);
    else gone.push(key);
  });
  if (gone.length > 0) await purge(meta, gone);
  return rows;
}

/** Runs a query and returns its rows, ordered and paged. */
export async function fetchRows(meta: ModelMeta, spec: QuerySpec, want: Want): Promise<Row[]> {
  const node = await planNode(meta, spec.lookups);
  const terms = parseOrder(meta, spec.order.length > 0 ? spec.order : meta.orderBy);
  const order = serverOrder(meta, spec, terms);
  const exists = meta.ttl !== undefined;
  if (order !== "client") {
    const mode = want.kind;
    return runServer(
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
    );
  }
  const page = <T>(items: T[]): T[] =>
    items.slice(spec.offset, spec.limit === undefined ? undefined : spec.offset + spec.limit);
  const compare = compareBy(terms);
  if (terms.every((t) => isKeyKind(meta, t.field))) {
    // Order by key fields: the keys hold the values, so only the page's hashes are read.
    const keyed = await runServer(meta, { node, mode: "keys", exists }, { kind: "keys" });
    keyed.sort((a, b) => compare(a.values, b.values) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return fetchByKeys(
      meta,
      page(keyed).map((r) => r.key),
      want,
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
  const rows = await runServer(
    meta,
    { node, mode: needed.kind, fields: needed.kind === "fields" ? needed.fields : undefined, exists },
    needed,
  );
  rows.sort((a, b) => compare(a.values, b.values) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const paged = page(rows);
  if (want.kind === "keys")
    return paged.map((r) => ({ key: r.key, values: valuesFromKey(meta, r.key), hash: undefined }));
  return paged;
}

/** Counts the matches of a query (hashes that expired are not counted). */
export async function countRows(meta: ModelMeta, lookups: readonly Lookup[]): Promise<number> {
  const node = await planNode(meta, lookups);
  const call = compileQuery({ node, mode: "count", exists: meta.ttl !== undefined });
  const reply = (await runScript(getConnection(), scripts.query, call.keys, call.args)) as ScriptReply[];
  return Number(reply[0]);
}
