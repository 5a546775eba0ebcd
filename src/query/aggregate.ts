/**
 * Aggregates computed in Redis: `sum` / `avg` / `min` / `max` of a sorted field (from the scores
 * of its sorted set) and `countBy` of a key or indexed field (from the instance keys, or one HGET
 * of that field a match), each in one query.lua call that returns figures, never instances.
 *
 * Budget: the call lists the matches as a query does, so when that costs more than the script
 * budget (src/query/limits.ts) the script declines ("STEP") and the aggregate is computed here in
 * bounded steps instead: the matches read a chunk at a time (src/query/stepwise.ts), their scores
 * (ZMSCORE) or values (HGET) a chunk per round trip. No step blocks Redis for long; the steps
 * together are not atomic (like SCAN, an instance written meanwhile may be counted or not).
 *
 * A sharded model (docs/storage.md §7a): one such call per bucket the filter can touch, all sent at
 * once (one round trip per master), combined here. A bucket's figures are one atomic snapshot of
 * that bucket; the buckets together are not one snapshot (a write between two buckets' calls may
 * be counted or not), as for a query of a sharded model.
 */
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { QueryError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { SortedType } from "../fields/field-type.js";
import { decodeValue, valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import type { ScriptReply } from "../scripts/run-script.js";
import { inBucket, toBucket } from "../keys/keys.js";
import { planNode, type QuerySpec } from "./execute.js";
import { byBody, fetchMovingRows, shardedPlan } from "./execute-sharded.js";
import { withLayout } from "../shards/read-layout.js";
import { toScore } from "../encoding/scores.js";
import { nodeInBucket, standIn } from "./fan-out.js";
import { queryLimits } from "./limits.js";
import { sortedSetFor, type PlanNode } from "./plan.js";
import { goneKeys, isStep, purge, text, type Row } from "./rows.js";
import { budgetFor, call, matchingKeys, nameWrongType, planKeys, tooLarge } from "./stepwise.js";

type Filters = Pick<QuerySpec, "lookups" | "conditions">;

/** What `sum`, `avg`, `min` and `max` are computed from. */
export interface ScoreStats {
  /** Matches that have a score (every match, for a model whose sorted set is complete). */
  readonly count: number;
  readonly sum: number;
  /** The field's value at the least and greatest score; null without matches. */
  readonly min: unknown;
  readonly max: unknown;
}

const NUMERIC = new Set(["int", "float", "decimal"]);

/** The sorted field an aggregate reads, checked (the types already reject other names). */
function sortedField(meta: ModelMeta, what: string, field: string, numeric: boolean): FieldSpec {
  const spec = meta.fields.get(field);
  const sorted = spec?.kind === "sorted" || spec?.kind === "sortedKey";
  if (!spec || !sorted || (numeric && !NUMERIC.has(spec.type)))
    throw new QueryError(
      meta.name,
      `${what}("${field}") reads the scores of a sorted field${numeric ? " of type int, float or decimal" : ""}; ` +
        `${spec ? `${field} is a ${spec.type} ${spec.kind} field` : `${meta.name} has no field "${field}"`}. ` +
        `Declare it with SortedField(${numeric ? '{ type: "int" }' : ""}), or aggregate another field.`,
      field,
    );
  return spec;
}

/** The value of `field` at `key`: decoded from its stored bytes, else parsed from the key (a key field). */
function valueAt(meta: ModelMeta, field: string, key: string, bytes: ScriptReply | undefined): unknown {
  if (Buffer.isBuffer(bytes) && bytes.length > 0) return decodeValue(meta, key, field, bytes);
  return valuesFromKey(meta, key).get(field) ?? null;
}

const failed = async (meta: ModelMeta, node: PlanNode, error: unknown): Promise<never> => {
  throw wrapRedisError(await nameWrongType(meta, error, [...planKeys(node)]));
};

/** Where an aggregate's matches are: the model's one plan, or each bucket's copy of a sharded plan. */
interface Part {
  /** The model, or one bucket's view of a sharded model. */
  readonly view: ModelMeta;
  readonly node: PlanNode;
  /** A key planned on the model (on the `{Event#?}` stand-in of a sharded one), spelled for this part. */
  readonly spell: (key: string) => string;
}

/**
 * The parts an aggregate reads: one plan for an unsharded model; for a sharded one the plan built
 * once and copied to every bucket the filter can touch (each part is its own script call, all sent
 * at once: one round trip per master).
 */
async function partsOf(meta: ModelMeta, spec: Filters): Promise<Part[]> {
  if (meta.shards <= 1) return [{ view: meta, node: await planNode(meta, spec), spell: (k) => k }];
  const { node, buckets } = await shardedPlan(meta, spec);
  return buckets.map((b) => ({
    view: inBucket(meta, b),
    node: nodeInBucket(meta, node, b),
    spell: (key: string) => toBucket(meta, key, b),
  }));
}

/** One part's figures: its least and greatest match with their scores, to compare across parts. */
interface PartStats {
  readonly count: number;
  readonly sum: number;
  readonly min: Extreme | undefined;
  readonly max: Extreme | undefined;
}
interface Extreme {
  readonly key: string;
  readonly score: number;
  readonly value: unknown;
}

/**
 * Count, sum, least and greatest of a sorted field over a query's matches. A sharded model's
 * buckets are aggregated each in Redis and combined here: counts and sums add up (so `avg` is the
 * total sum over the total count, not an average of averages), the least and greatest are those of
 * the buckets' least and greatest (ties by key after its tag, as one bucket's Redis breaks them).
 */
export async function scoreStats(
  meta: ModelMeta,
  spec: Filters,
  what: string,
  field: string,
  numeric: boolean,
): Promise<ScoreStats> {
  const fieldSpec = sortedField(meta, what, field, numeric);
  if (meta.shards <= 1) return layoutStats(meta, spec, field);
  return withLayout(meta, async (views) =>
    views.length === 1
      ? layoutStats(views[0] as ModelMeta, spec, field)
      : statsOfRows(views, field, fieldSpec, await movingRows(views, spec)),
  );
}

/** The matches of a query while a reshard moves the model, each once (whole rows). */
const movingRows = (views: readonly ModelMeta[], spec: Filters): Promise<Row[]> =>
  fetchMovingRows(views, { ...spec, order: [], offset: 0, limit: undefined }, { kind: "load" });

/**
 * scoreStats from rows, while a reshard moves the model (an instance may be in both layouts, so
 * the buckets' own figures cannot be added up): the scores the write computed from each value.
 */
function statsOfRows(
  views: readonly ModelMeta[],
  field: string,
  spec: FieldSpec,
  rows: readonly Row[],
): ScoreStats {
  const meta = views[views.length - 1] as ModelMeta;
  let count = 0;
  let sum = 0;
  let min: Extreme | undefined;
  let max: Extreme | undefined;
  for (const row of rows) {
    const value =
      row.values.get(field) ??
      (meta.keyFields.includes(field) ? valuesFromKey(meta, row.key).get(field) : null);
    if (value === null || value === undefined) continue;
    const score = toScore(spec.type as SortedType, value);
    const here: Extreme = { key: row.key, score, value };
    count++;
    sum += score;
    if (!min || (score - min.score || byBody(row.key, min.key)) < 0) min = here;
    if (!max || (score - max.score || byBody(max.key, row.key)) > 0) max = here;
  }
  return { count, sum, min: min?.value ?? null, max: max?.value ?? null };
}

/** scoreStats in one layout of a sharded model (its view), or of an unsharded model. */
async function layoutStats(meta: ModelMeta, spec: Filters, field: string): Promise<ScoreStats> {
  // A sharded model's sorted set is named on the `{Event#?}` stand-in, then for each bucket.
  const zset = sortedSetFor(meta.shards > 1 ? standIn(meta) : meta, field, spec.lookups);
  const parts = await partsOf(meta, spec);
  const all = await Promise.all(parts.map((part) => partStats(part, part.spell(zset), field)));
  let count = 0;
  let sum = 0;
  let min: Extreme | undefined;
  let max: Extreme | undefined;
  for (const part of all) {
    count += part.count;
    sum += part.sum;
    // Equal scores: the smaller key wins both, as query.lua picks within one bucket.
    if (part.min && (!min || (part.min.score - min.score || byBody(part.min.key, min.key)) < 0))
      min = part.min;
    if (part.max && (!max || (part.max.score - max.score || byBody(max.key, part.max.key)) > 0))
      max = part.max;
  }
  return { count, sum, min: min?.value ?? null, max: max?.value ?? null };
}

/** scoreStats of one part: one script call, or bounded steps when that costs more than the budget. */
async function partStats({ view, node }: Part, zset: string, field: string): Promise<PartStats> {
  if (!tooLarge(node)) {
    const reply = await call(view, {
      node,
      mode: "stats",
      exists: view.expiring,
      budget: budgetFor(node),
      stats: { key: zset, field },
    });
    if (!isStep(reply)) {
      const gone = goneKeys(reply);
      if (gone.length > 0) await purge(view, gone);
      const count = Number(reply[0]);
      const at = (k: number): Extreme | undefined =>
        count === 0
          ? undefined
          : {
              key: text(reply[k]),
              score: Number(text(reply[k + 1])),
              value: valueAt(view, field, text(reply[k]), reply[k + 2]),
            };
      return { count, sum: Number(text(reply[2])), min: at(3), max: at(6) };
    }
  }
  return stepStats(view, node, zset, field).catch((error: unknown) => failed(view, node, error));
}

/** scoreStats in bounded steps: the matches a chunk at a time, a ZMSCORE per chunk. */
async function stepStats(meta: ModelMeta, node: PlanNode, zset: string, field: string): Promise<PartStats> {
  const redis = getConnection();
  const keys = await matchingKeys(meta, node);
  let count = 0;
  let sum = 0;
  let min: { key: string; score: number } | undefined;
  let max: { key: string; score: number } | undefined;
  const chunk = queryLimits().chunkSize;
  for (let start = 0; start < keys.length; start += chunk) {
    const piece = keys.slice(start, start + chunk);
    const found = (await redis.call("ZMSCORE", zset, ...piece)) as (string | null)[];
    piece.forEach((key, i) => {
      const raw = found[i];
      if (raw === null || raw === undefined) return;
      const score = Number(raw);
      count++;
      sum += score;
      if (!min || score < min.score || (score === min.score && key < min.key)) min = { key, score };
      if (!max || score > max.score || (score === max.score && key < max.key)) max = { key, score };
    });
  }
  const read = async (at: { key: string; score: number } | undefined): Promise<Extreme | undefined> =>
    at === undefined
      ? undefined
      : {
          ...at,
          value: valueAt(meta, field, at.key, (await redis.hgetBuffer(at.key, field)) ?? undefined),
        };
  return { count, sum, min: await read(min), max: await read(max) };
}

const GROUP_KINDS = new Set(["key", "uniqueKey", "sortedKey", "indexed", "unique"]);

/** An identity for a decoded value, so two stored forms of one value count together. */
const identity = (value: unknown): string =>
  value instanceof Date ? `date:${value.getTime()}` : `${typeof value}:${String(value)}`;

/**
 * How many matches hold each value of a key or indexed field, most frequent first. A sharded
 * model's buckets are grouped each in Redis, and their counts of equal values added up here.
 */
export async function countBy(meta: ModelMeta, spec: Filters, field: string): Promise<Map<unknown, number>> {
  const fieldSpec = meta.fields.get(field);
  if (!fieldSpec || !GROUP_KINDS.has(fieldSpec.kind))
    throw new QueryError(
      meta.name,
      `countBy("${field}") groups by a key or indexed field; ` +
        `${fieldSpec ? `${field} is a ${fieldSpec.kind} field` : `${meta.name} has no field "${field}"`}. ` +
        `Declare it with KeyField() or IndexedField(), or group by another field.`,
      field,
    );
  const position = meta.keyFields.indexOf(field) + 1;
  const groupsIn = async (view: ModelMeta): Promise<Map<unknown, number>> => {
    const parts = await partsOf(view, spec);
    const groups = await Promise.all(parts.map((part) => partGroups(part, field, position)));
    return tally(groups.flat());
  };
  if (meta.shards <= 1) return groupsIn(meta);
  return withLayout(meta, async (views) => {
    if (views.length === 1) return groupsIn(views[0] as ModelMeta);
    // While a reshard moves the model: each match once, grouped here.
    const last = views[views.length - 1] as ModelMeta;
    const rows = await movingRows(views, spec);
    return tally(
      rows.map((row) => [
        (position > 0 ? valuesFromKey(last, row.key).get(field) : row.values.get(field)) ?? null,
        1,
      ]),
    );
  });
}

/** countBy of one part, unmerged: one script call, or bounded steps when that costs more than the budget. */
async function partGroups(
  { view, node }: Part,
  field: string,
  position: number,
): Promise<[unknown, number][]> {
  const groups: [unknown, number][] = [];
  if (!tooLarge(node)) {
    const reply = await call(view, {
      node,
      mode: "countBy",
      exists: view.expiring,
      budget: budgetFor(node),
      countBy: position > 0 ? { position } : { field },
    });
    if (!isStep(reply)) {
      const gone = goneKeys(reply);
      if (gone.length > 0) await purge(view, gone);
      for (let i = 2; i + 1 < reply.length; i += 2) {
        const sample = reply[i];
        const value =
          position > 0
            ? valuesFromKey(view, text(sample)).get(field)
            : valueAt(view, field, "(countBy)", sample);
        groups.push([value ?? null, Number(reply[i + 1])]);
      }
      return groups;
    }
  }
  try {
    const keys = await matchingKeys(view, node);
    if (position > 0) for (const key of keys) groups.push([valuesFromKey(view, key).get(field) ?? null, 1]);
    else {
      const chunk = queryLimits().chunkSize;
      for (let start = 0; start < keys.length; start += chunk) {
        const piece = keys.slice(start, start + chunk);
        const pipeline = getConnection().pipeline();
        for (const key of piece) pipeline.hgetBuffer(key, field);
        const replies = (await pipeline.exec()) ?? [];
        replies.forEach(([error, bytes], i) => {
          if (error) throw error;
          groups.push([valueAt(view, field, piece[i] as string, (bytes as Buffer | null) ?? undefined), 1]);
        });
      }
    }
  } catch (error) {
    return failed(view, node, error);
  }
  return groups;
}

/** Adds up the counts of equal values; most frequent first, then in the order met. */
function tally(groups: readonly [unknown, number][]): Map<unknown, number> {
  const totals = new Map<string, [unknown, number]>();
  for (const [value, count] of groups) {
    const id = identity(value);
    const held = totals.get(id);
    if (held) held[1] += count;
    else totals.set(id, [value, count]);
  }
  return new Map([...totals.values()].sort((a, b) => b[1] - a[1]));
}
