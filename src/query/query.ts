/**
 * The query: its public type (`Query`, what users' editors show) and `QueryImpl`, the immutable
 * builder behind it (each call returns a new query; awaiting one runs it through execute.ts).
 *
 * Over 300 lines because the public interface, with its documented overloads, and the class that
 * implements it are kept side by side, so the two are read and changed together.
 */
import {
  MultipleResultsError,
  QueryError,
  RowProblemsError,
  ValidationError,
  type RowProblem,
} from "../errors.js";
import { problemOf } from "./rows.js";
import type { ModelMeta } from "../model/meta.js";
import type {
  Fields,
  GroupFieldName,
  NumericSortedFieldName,
  OrderName,
  PlainValues,
  SortedFieldName,
  UpdateInput,
  ValueOf,
  Values,
} from "../model/value-types.js";
import { checkRelated, computeKey, keyFieldsNameKey, keyValues } from "../model/values.js";
import type { FieldSpec } from "../fields/field.js";
import { relationshipSet } from "../keys/keys.js";
import { deleteKeys } from "../model/delete-many.js";
import type { BulkOptions } from "../write/bulk.js";
import { toCondition, type Condition, type Q } from "./condition.js";
import {
  countRows,
  countSet,
  explainQuery,
  fetchRows,
  planNode,
  type QueryExplanation,
  type QuerySpec,
  type Row,
  type Want,
} from "./execute.js";
export type { QueryExplanation } from "./execute.js";
import type { CheckedFilter, FilterInput, ValidFilter } from "./filter-types.js";
import { iterateRows } from "./iterate.js";
import { countShardedRows, explainSharded, fetchShardedRows, iterateShardedRows } from "./execute-sharded.js";
import { applyIncludes, includeTree } from "./include.js";
import type { IncludePath, Included } from "./include-types.js";
import { countBy, scoreStats } from "./aggregate.js";
import { fetchPage } from "./page.js";
import { updateKeys, updateValues } from "./update.js";

export type { IncludePath, Included, RelationshipName } from "./include-types.js";

/** A query's rows: one script, or one per bucket of a sharded model, merged. */
const rowsOf = (meta: ModelMeta, spec: QuerySpec, want: Want, problems?: RowProblem[]): Promise<Row[]> =>
  meta.shards > 1 ? fetchShardedRows(meta, spec, want, problems) : fetchRows(meta, spec, want, problems);

/** A filter argument: a filter object (either form) or an or()/and()/not() combination, type-checked. */
export type WhereArg<TFields extends Fields, TWhere> =
  TWhere extends Q<infer TLeaf>
    ? false extends (
        TLeaf extends unknown ? (TLeaf extends CheckedFilter<TFields, TLeaf> ? true : false) : never
      )
      ? Q<CheckedFilter<TFields, TLeaf>>
      : TWhere
    : ValidFilter<TFields, TWhere>;

/** One page of a query (`page()`): its instances and the cursor of the next page, null after the last. */
export interface Page<TInstance> {
  readonly items: TInstance[];
  /** Pass it to `page()` of the same query for the next page; an opaque string, not a secret. */
  readonly next: string | null;
}

/**
 * A query on one model: immutable (each call returns a new query) and awaitable (resolves to the
 * matching instances). All filters of one model are answered by one script in Redis.
 * @example await Book.query.filter({ pages__gte: 300 }).orderBy("-pages").limit(10)
 */
export interface Query<TFields extends Fields, TInstance> extends PromiseLike<TInstance[]> {
  /** Runs the query; `onrejected` handles its failure, as a Promise's `catch`. */
  catch<TResult = never>(
    onrejected?: ((reason: unknown) => TResult | PromiseLike<TResult>) | null,
  ): Promise<TInstance[] | TResult>;
  /** Runs the query; `onfinally` runs when it settles, as a Promise's `finally`. */
  finally(onfinally?: (() => void) | null): Promise<TInstance[]>;
  /**
   * Adds a filter; every filter of a query must match (AND). Takes the `__` form
   * (`{ pages__gte: 300, author__name: "Tolkien" }`), the nested form
   * (`{ pages: { gte: 300 }, author: { name: "Tolkien" } }`) or `or()` / `and()` / `not()`.
   */
  filter<const TWhere extends FilterInput<TFields> | Q>(
    where: WhereArg<TFields, TWhere>,
  ): Query<TFields, TInstance>;
  /** Leaves out what the filter matches (`not(filter)`). */
  exclude<const TWhere extends FilterInput<TFields> | Q>(
    where: WhereArg<TFields, TWhere>,
  ): Query<TFields, TInstance>;
  /** Orders by fields, `-` for descending; nulls come first ascending and last descending. */
  orderBy(...fields: OrderName<TFields>[]): Query<TFields, TInstance>;
  /** At most `count` results. */
  limit(count: number): Query<TFields, TInstance>;
  /** Skips the first `count` results. */
  offset(count: number): Query<TFields, TInstance>;
  /**
   * Loads related instances of the whole result, one round trip per level, instead of one per
   * instance: `include("author", "author.publisher")`. Each included relationship then holds its
   * loaded instance (`Author | null`; null also when the target is gone) or, for `many: true`,
   * the loaded instances; a gone target is never written back as null by a later save.
   */
  include<const TPath extends IncludePath<TFields>>(
    ...paths: TPath[]
  ): Query<TFields, Included<TInstance, TFields, TPath>>;
  /** Plain records with just these fields (read with HMGET, or from the keys alone for key fields). */
  values<const TName extends keyof Values<TFields> & string>(
    field: TName,
    ...more: TName[]
  ): ValuesQuery<TFields, { [K in TName]: PlainValues<TFields>[K] }>;
  /** The one instance matching `where` (and this query's filters), or null; throws when several match. */
  get<const TWhere extends FilterInput<TFields> | Q>(
    where: WhereArg<TFields, TWhere>,
  ): Promise<TInstance | null>;
  /** All matches, ordered and paged as the query says. */
  all(): Promise<TInstance[]>;
  /** The first match, or null. */
  first(): Promise<TInstance | null>;
  /** How many instances match this query (ignores limit and offset). */
  count(): Promise<number>;
  /** How many instances match this query and `where` (ignores limit and offset). */
  count<const TWhere extends FilterInput<TFields> | Q>(where: WhereArg<TFields, TWhere>): Promise<number>;
  /** Whether anything matches. */
  exists(): Promise<boolean>;
  /** The instance keys of the matches (`Book:The Hobbit`), without reading any hash. */
  keys(): Promise<string[]>;
  /**
   * Deletes every match, each atomically with all its index entries (batched: one pipeline per
   * `batchSize` instances). Returns how many were deleted.
   */
  delete(options?: BulkOptions): Promise<number>;
  /**
   * Writes `values` into every match (batched: one pipeline per `batchSize` instances), each
   * instance atomically with its index entries, and returns how many were written. Values are
   * validated before anything is written; key fields cannot be changed; hooks do not run.
   * @example await Book.query.filter({ genre: "scifi" }).update({ genre: "sf" })
   */
  update(values: UpdateInput<TFields>, options?: BulkOptions): Promise<number>;
  /**
   * One page and the cursor of the next (`next`, null after the last page), by keyset: the page
   * starts after the previous page's last row, so rows added or removed meanwhile neither repeat
   * nor skip rows, and page 50 costs what page 1 does. Needs `limit()`; orders by one sorted
   * field (`orderBy("-pages")`) or, without orderBy, by instance key.
   * @example const { items, next } = await Book.query.orderBy("-pages").limit(20).page(cursor)
   */
  page(cursor?: string | null): Promise<Page<TInstance>>;
  /** The sum of a numeric sorted field over the matches (0 when none), from its scores, in Redis. */
  sum<TName extends NumericSortedFieldName<TFields>>(field: TName): Promise<number>;
  /** The mean of a numeric sorted field over the matches, or null when none match. */
  avg<TName extends NumericSortedFieldName<TFields>>(field: TName): Promise<number | null>;
  /** The least value of a sorted field among the matches, or null when none match. */
  min<TName extends SortedFieldName<TFields>>(field: TName): Promise<ValueOf<TFields[TName]> | null>;
  /** The greatest value of a sorted field among the matches, or null when none match. */
  max<TName extends SortedFieldName<TFields>>(field: TName): Promise<ValueOf<TFields[TName]> | null>;
  /**
   * How many matches hold each value of a key or indexed field, most frequent first, counted in
   * Redis without loading instances. @example await Book.query.countBy("genre") // Map { "sf" => 2, … }
   */
  countBy<TName extends GroupFieldName<TFields>>(field: TName): Promise<Map<ValueOf<TFields[TName]>, number>>;
  /**
   * Streams the matches `batchSize` at a time (default 500) without holding the result in memory.
   * Order, limit and offset do not apply. @example for await (const book of Book.query.iterate()) {}
   */
  iterate(options?: { readonly batchSize?: number | undefined }): AsyncIterable<TInstance>;
  /**
   * After a geo filter: the matches nearest first, each with its distance from the centre (in the
   * filter's unit). @example await Place.query.filter({ location__within: { latitude: 41.9, longitude: 12.5, radius: 5, unit: "km" } }).nearest()
   */
  nearest(): Promise<{ instance: TInstance; distance: number }[]>;
  /** How Redis will answer the query: index keys, set operations, round trips. Runs relationship sub-queries. */
  explain(): Promise<QueryExplanation>;
}

/** A query that resolves to plain records of some fields. */
export interface ValuesQuery<TFields extends Fields, TRecord> extends PromiseLike<TRecord[]> {
  catch<TResult = never>(
    onrejected?: ((reason: unknown) => TResult | PromiseLike<TResult>) | null,
  ): Promise<TRecord[] | TResult>;
  finally(onfinally?: (() => void) | null): Promise<TRecord[]>;
  filter<const TWhere extends FilterInput<TFields> | Q>(
    where: WhereArg<TFields, TWhere>,
  ): ValuesQuery<TFields, TRecord>;
  exclude<const TWhere extends FilterInput<TFields> | Q>(
    where: WhereArg<TFields, TWhere>,
  ): ValuesQuery<TFields, TRecord>;
  orderBy(...fields: OrderName<TFields>[]): ValuesQuery<TFields, TRecord>;
  limit(count: number): ValuesQuery<TFields, TRecord>;
  offset(count: number): ValuesQuery<TFields, TRecord>;
  all(): Promise<TRecord[]>;
  first(): Promise<TRecord | null>;
}

/** What a query needs from its model class at run time. */
export interface QueryTarget {
  readonly meta: ModelMeta;
  /** Builds an instance from a loaded row. */
  hydrateRow(row: Row): object;
  /** Loads one instance by key (one HGETALL). */
  loadKey(key: string): Promise<object | null>;
}

interface State extends QuerySpec {
  readonly fields: readonly string[] | undefined;
  readonly include: readonly string[];
}

const EMPTY: State = {
  lookups: [],
  conditions: [],
  order: [],
  offset: 0,
  limit: undefined,
  fields: undefined,
  include: [],
};

/** A plain object naming every key field and nothing else (values that are not nested filters). */
const isKeyLookup = (meta: ModelMeta, where: unknown): where is Record<string, unknown> => {
  if (where === null || typeof where !== "object" || Object.getPrototypeOf(where) !== Object.prototype)
    return false;
  const names = Object.keys(where);
  return (
    names.length === meta.keyFields.length &&
    names.every((name) => {
      const value = (where as Record<string, unknown>)[name];
      const nested =
        value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
      return meta.keyFields.includes(name) && value !== undefined && !nested;
    })
  );
};

/**
 * `count({ relationship: instance })` on a fresh query of a model without a ttl: the reverse set
 * whose SCARD is the answer, found without parsing the filter (undefined: take the general path,
 * which also words any error).
 */
const relationshipSetOf = (meta: ModelMeta, where: unknown): string | undefined => {
  if (meta.expiring || meta.shards > 1 || where === null || typeof where !== "object") return undefined;
  if (Object.getPrototypeOf(where) !== Object.prototype) return undefined;
  const names = Object.keys(where);
  const [field] = names;
  if (names.length !== 1 || field === undefined) return undefined;
  const spec = meta.fields.get(field);
  const value = (where as Record<string, unknown>)[field];
  if (spec?.kind !== "relationship" || value === null || value === undefined || Array.isArray(value))
    return undefined;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) return undefined;
  const related = checkRelated(meta, field, spec as FieldSpec, value);
  return related.ok ? relationshipSet(meta, field, related.key) : undefined;
};

const checkCount = (meta: ModelMeta, what: string, count: number): number => {
  if (!Number.isInteger(count) || count < 0)
    throw new QueryError(meta.name, `${what} takes a whole number of at least 0, received ${String(count)}.`);
  return count;
};

/** @internal The one implementation behind Query and ValuesQuery. */
export class QueryImpl {
  readonly #target: QueryTarget;
  readonly #state: State;

  constructor(target: QueryTarget, state: State = EMPTY) {
    this.#target = target;
    this.#state = state;
  }

  /** The queried model's name (spans name it: observe/instrument.ts). */
  get modelName(): string {
    return this.#target.meta.name;
  }

  #with(change: Partial<State>): QueryImpl {
    return new QueryImpl(this.#target, { ...this.#state, ...change });
  }

  /** This query's filters with `where` added (a filter object goes to lookups, a Q tree to conditions). */
  #where(where: unknown): Pick<State, "lookups" | "conditions"> {
    const meta = this.#target.meta;
    const { lookups, conditions } = this.#state;
    if (where === undefined) return { lookups, conditions };
    const condition = toCondition(meta, where);
    return condition.t === "lookups"
      ? { lookups: [...lookups, ...condition.lookups], conditions }
      : { lookups, conditions: [...conditions, condition] };
  }

  filter(where: unknown): QueryImpl {
    return this.#with(this.#where(where));
  }

  exclude(where: unknown): QueryImpl {
    const condition: Condition = { t: "not", c: toCondition(this.#target.meta, where) };
    return this.#with({ conditions: [...this.#state.conditions, condition] });
  }

  orderBy(...fields: string[]): QueryImpl {
    return this.#with({ order: fields });
  }

  limit(count: number): QueryImpl {
    return this.#with({ limit: checkCount(this.#target.meta, "limit()", count) });
  }

  offset(count: number): QueryImpl {
    return this.#with({ offset: checkCount(this.#target.meta, "offset()", count) });
  }

  include(...paths: string[]): QueryImpl {
    return this.#with({ include: [...this.#state.include, ...paths] });
  }

  async #hydrateRows(rows: readonly Row[], problems?: RowProblem[]): Promise<object[]> {
    const instances: object[] = [];
    for (const row of rows) {
      try {
        instances.push(this.#target.hydrateRow(row));
      } catch (error) {
        const problem = problemOf(error);
        if (!problem || !problems) throw error;
        problems.push(problem);
      }
    }
    if (this.#state.include.length > 0 && instances.length > 0)
      await applyIncludes(this.#target.meta, instances, includeTree(this.#state.include));
    return instances;
  }

  values(...fields: string[]): QueryImpl {
    const meta = this.#target.meta;
    for (const field of fields) {
      if (!meta.fields.has(field))
        throw new QueryError(
          meta.name,
          `values() names "${field}", which is not a field of ${meta.name}.`,
          field,
        );
    }
    if (fields.length === 0) throw new QueryError(meta.name, "values() needs at least one field name.");
    return this.#with({ fields });
  }

  async all(): Promise<unknown[]> {
    const meta = this.#target.meta;
    const fields = this.#state.fields;
    const problems: RowProblem[] = [];
    if (fields === undefined) {
      const instances = await this.#hydrateRows(
        await rowsOf(meta, this.#state, { kind: "load" }, problems),
        problems,
      );
      return settle(meta.name, problems, instances);
    }
    // Records built from keys alone when every field asked for is a key field: no hash is read.
    const fromKeys = fields.every((f) => meta.keyFields.includes(f));
    const rows = await rowsOf(
      meta,
      this.#state,
      fromKeys ? { kind: "keys" } : { kind: "fields", fields },
      problems,
    );
    const records = rows.map((row) => Object.fromEntries(fields.map((f) => [f, row.values.get(f) ?? null])));
    return settle(meta.name, problems, records);
  }

  async first(): Promise<unknown> {
    const [first] = await this.#with({ limit: 1 }).all();
    return first ?? null;
  }

  async get(where: unknown): Promise<unknown> {
    const meta = this.#target.meta;
    // The common case first: exactly the key fields, by value, on a fresh query: no parsing.
    const keyed = keyFieldsNameKey(meta);
    if (
      keyed &&
      this.#state.lookups.length === 0 &&
      this.#state.conditions.length === 0 &&
      isKeyLookup(meta, where)
    ) {
      const found = await this.#target.loadKey(computeKey(meta, keyValues(meta, where, "found")));
      if (found && this.#state.include.length > 0)
        await applyIncludes(meta, [found], includeTree(this.#state.include));
      return found;
    }
    const { lookups, conditions } = this.#where(where);
    const direct =
      conditions.length === 0 &&
      lookups.every((l) => l.op === "" && l.path.length === 0 && meta.keyFields.includes(l.field));
    const named = new Set(lookups.map((l) => l.field));
    if (keyed && direct && lookups.length === meta.keyFields.length && named.size === lookups.length) {
      // Every key field given: the instance key is known, so read the hash directly (one HGETALL).
      const values = Object.fromEntries(lookups.map((l) => [l.field, l.value]));
      const found = await this.#target.loadKey(computeKey(meta, keyValues(meta, values, "found")));
      if (found && this.#state.include.length > 0)
        await applyIncludes(meta, [found], includeTree(this.#state.include));
      return found;
    }
    const problems: RowProblem[] = [];
    const rows = await rowsOf(
      meta,
      { ...this.#state, lookups, conditions, offset: 0, limit: 2 },
      { kind: "load" },
      problems,
    );
    if (rows.length + problems.length > 1)
      throw new MultipleResultsError(meta.name, rows.length + problems.length);
    const [found] = settle(meta.name, problems, await this.#hydrateRows(rows, problems));
    return found ?? null;
  }

  count(where?: unknown): Promise<number> {
    const meta = this.#target.meta;
    if (this.#state.lookups.length === 0 && this.#state.conditions.length === 0) {
      const set = relationshipSetOf(meta, where);
      if (set !== undefined) return countSet(meta, set);
    }
    return meta.shards > 1 ? countShardedRows(meta, this.#where(where)) : countRows(meta, this.#where(where));
  }

  async delete(options?: BulkOptions): Promise<number> {
    return deleteKeys(this.#target.meta, await this.keys(), options);
  }

  async update(values: unknown, options?: BulkOptions): Promise<number> {
    const meta = this.#target.meta;
    const updates = updateValues(meta, values);
    if (meta.shardBy !== undefined && updates.has(meta.shardBy))
      throw new QueryError(
        meta.name,
        `update() cannot set "${meta.shardBy}", the shardBy field of this sharded model: each match would move ` +
          `to another bucket. Load each instance, create its copy with the new value and delete the old one.`,
        meta.shardBy,
      );
    if (updates.size === 0) return 0;
    const keys = await this.keys();
    uniqueForOne(meta, updates, keys.length);
    return updateKeys(meta, keys, updates, options);
  }

  async page(cursor?: string | null): Promise<{ items: object[]; next: string | null }> {
    const meta = this.#target.meta;
    const problems: RowProblem[] = [];
    const { rows, next } = await fetchPage(meta, this.#state, cursor, problems);
    const items = settle(meta.name, problems, await this.#hydrateRows(rows, problems));
    return { items, next };
  }

  async sum(field: string): Promise<number> {
    return (await scoreStats(this.#target.meta, this.#state, "sum", field, true)).sum;
  }

  async avg(field: string): Promise<number | null> {
    const { count, sum } = await scoreStats(this.#target.meta, this.#state, "avg", field, true);
    return count === 0 ? null : sum / count;
  }

  async min(field: string): Promise<unknown> {
    return (await scoreStats(this.#target.meta, this.#state, "min", field, false)).min;
  }

  async max(field: string): Promise<unknown> {
    return (await scoreStats(this.#target.meta, this.#state, "max", field, false)).max;
  }

  countBy(field: string): Promise<Map<unknown, number>> {
    return Promise.resolve().then(() => countBy(this.#target.meta, this.#state, field));
  }

  async *iterate(options?: { readonly batchSize?: number | undefined }): AsyncGenerator<object> {
    const meta = this.#target.meta;
    const batchSize = Math.max(1, options?.batchSize ?? 500);
    // Healthy rows are yielded as they come; the bad ones are reported once the iteration ends.
    const problems: RowProblem[] = [];
    const batches =
      meta.shards > 1
        ? iterateShardedRows(meta, this.#state, batchSize, problems)
        : iterateRows(meta, await planNode(meta, this.#state), batchSize, problems);
    for await (const rows of batches) {
      yield* await this.#hydrateRows(rows, problems);
    }
    settle(meta.name, problems, []);
  }

  async nearest(): Promise<{ instance: object; distance: number }[]> {
    const meta = this.#target.meta;
    const geo = [...this.#state.lookups].some((l) => l.op === "within");
    if (!geo)
      throw new QueryError(
        meta.name,
        "nearest() orders by distance from a geo filter's centre; add one, e.g. { location__within: { latitude, longitude, radius } }.",
      );
    const problems: RowProblem[] = [];
    const rows = await rowsOf(meta, this.#state, { kind: "load" }, problems);
    const healthy: { instance: object; distance: number }[] = [];
    for (const row of rows) {
      const [instance] = await this.#hydrateRows([row], problems);
      if (instance) healthy.push({ instance, distance: row.distance ?? Number.NaN });
    }
    return settle(meta.name, problems, healthy);
  }

  async explain(): Promise<QueryExplanation> {
    const meta = this.#target.meta;
    return meta.shards > 1 ? explainSharded(meta, this.#state) : explainQuery(meta, this.#state);
  }

  async exists(): Promise<boolean> {
    return (await this.#with({ limit: 1, fields: undefined }).keys()).length > 0;
  }

  async keys(): Promise<string[]> {
    const rows = await rowsOf(this.#target.meta, this.#state, { kind: "keys" });
    return rows.map((row) => row.key);
  }

  then<TResult1 = unknown[], TResult2 = never>(
    onfulfilled?: ((value: unknown[]) => TResult1 | PromiseLike<TResult1>) | null,
    onrejected?: ((reason: unknown) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2> {
    return this.all().then(onfulfilled, onrejected);
  }

  catch<TResult = never>(
    onrejected?: ((reason: unknown) => TResult | PromiseLike<TResult>) | null,
  ): Promise<unknown[] | TResult> {
    return this.all().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<unknown[]> {
    return this.all().finally(onfinally);
  }
}

/** A unique field can take one non-null value on one instance: refused before writing several. */
function uniqueForOne(meta: ModelMeta, updates: ReadonlyMap<string, unknown>, matches: number): void {
  if (matches < 2) return;
  const unique = [...updates].filter(
    ([field, value]) => meta.fields.get(field)?.kind === "unique" && value !== null,
  );
  if (unique.length > 0)
    throw new ValidationError(
      meta.name,
      unique.map(([field, value]) => ({
        field,
        expected: "a value held by one instance only",
        received: String(value),
        message: `is a unique field, and ${matches} instances match; update() would give them all one value. Narrow the filter to one instance`,
      })),
      "updated",
    );
}

/**
 * The results of a query, or, when some matched rows could not be read, a RowProblemsError that
 * carries the healthy results with every bad row's key and field.
 */
function settle<T>(model: string, problems: readonly RowProblem[], rows: T[]): T[] {
  if (problems.length > 0) throw new RowProblemsError(model, problems, rows);
  return rows;
}
