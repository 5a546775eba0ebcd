import { MultipleResultsError, QueryError } from "../errors.js";
import type { ModelMeta } from "../model/meta.js";
import type { ConfigOf, Fields, OrderName, Values } from "../model/types.js";
import { computeKey, keyValues } from "../model/values.js";
import { countRows, fetchRows, type QuerySpec, type Row } from "./execute.js";
import type { FilterInput, ValidFilter } from "./filter-types.js";
import { applyIncludes, includeTree } from "./include.js";
import { parseFilter, type Lookup } from "./lookup.js";

/**
 * A query on one model: immutable (each call returns a new query) and awaitable (resolves to the
 * matching instances). All filters of one model are answered by one script in Redis.
 * @example await Book.query.filter({ pages__gte: 300 }).orderBy("-pages").limit(10)
 */
export interface Query<TFields extends Fields, TInstance> extends PromiseLike<TInstance[]> {
  /** Adds lookups; all lookups of a query must match (AND). */
  filter<const TWhere extends FilterInput<TFields>>(
    where: ValidFilter<TFields, TWhere>,
  ): Query<TFields, TInstance>;
  /** Orders by fields, `-` for descending; nulls come first ascending and last descending. */
  orderBy(...fields: OrderName<TFields>[]): Query<TFields, TInstance>;
  /** At most `count` results. */
  limit(count: number): Query<TFields, TInstance>;
  /** Skips the first `count` results. */
  offset(count: number): Query<TFields, TInstance>;
  /**
   * Loads related instances of the whole result, one round trip per level, instead of one per
   * instance: `include("author", "author.publisher")`.
   */
  include(...paths: IncludePath<TFields>[]): Query<TFields, TInstance>;
  /** Plain records with just these fields (read with HMGET, or from the keys alone for key fields). */
  values<const TName extends keyof Values<TFields> & string>(
    ...fields: TName[]
  ): ValuesQuery<TFields, { [K in TName]: Values<TFields>[K] }>;
  /** The one instance matching `where` (and this query's filters), or null; throws when several match. */
  get<const TWhere extends FilterInput<TFields>>(
    where: ValidFilter<TFields, TWhere>,
  ): Promise<TInstance | null>;
  /** All matches, ordered and paged as the query says. */
  all(): Promise<TInstance[]>;
  /** The first match, or null. */
  first(): Promise<TInstance | null>;
  /** How many instances match this query and `where` (ignores limit and offset). */
  count<const TWhere extends FilterInput<TFields> = {}>(
    where?: ValidFilter<TFields, TWhere>,
  ): Promise<number>;
  /** Whether anything matches. */
  exists(): Promise<boolean>;
  /** The instance keys of the matches (`Book:The Hobbit`), without reading any hash. */
  keys(): Promise<string[]>;
}

/** Names of a model's relationship fields. */
export type RelationshipName<TFields extends Fields> = {
  [K in keyof TFields & string]: ConfigOf<TFields[K]>["kind"] extends "relationship" ? K : never;
}[keyof TFields & string];

/** A relationship to include, or a dotted path through relationships (`"author.publisher"`). */
export type IncludePath<TFields extends Fields> =
  RelationshipName<TFields> | `${RelationshipName<TFields>}.${string}`;

/** A query that resolves to plain records of some fields. */
export interface ValuesQuery<TFields extends Fields, TRecord> extends PromiseLike<TRecord[]> {
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
  hydrate(row: Row): object;
  /** Loads one instance by key (one HGETALL). */
  loadKey(key: string): Promise<object | null>;
}

interface State extends QuerySpec {
  readonly fields: readonly string[] | undefined;
  readonly include: readonly string[];
}

const EMPTY: State = { lookups: [], order: [], offset: 0, limit: undefined, fields: undefined, include: [] };

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

  #with(change: Partial<State>): QueryImpl {
    return new QueryImpl(this.#target, { ...this.#state, ...change });
  }

  #lookups(where: object | undefined): Lookup[] {
    if (where === undefined) return [...this.#state.lookups];
    if (where === null || typeof where !== "object" || Array.isArray(where))
      throw new QueryError(
        this.#target.meta.name,
        `filters are objects such as { title: "Dune" }, received ${String(where)}.`,
      );
    return [...this.#state.lookups, ...parseFilter(this.#target.meta, where as Record<string, unknown>)];
  }

  filter(where: object): QueryImpl {
    return this.#with({ lookups: this.#lookups(where) });
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

  async #hydrate(rows: readonly Row[]): Promise<object[]> {
    const instances = rows.map((row) => this.#target.hydrate(row));
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
    if (fields === undefined) {
      return this.#hydrate(await fetchRows(meta, this.#state, { kind: "load" }));
    }
    // Records built from keys alone when every field asked for is a key field: no hash is read.
    const fromKeys = fields.every((f) => meta.keyFields.includes(f));
    const rows = await fetchRows(meta, this.#state, fromKeys ? { kind: "keys" } : { kind: "fields", fields });
    return rows.map((row) => Object.fromEntries(fields.map((f) => [f, row.values.get(f) ?? null])));
  }

  async first(): Promise<unknown> {
    const [first] = await this.#with({ limit: 1 }).all();
    return first ?? null;
  }

  async get(where: object): Promise<unknown> {
    const meta = this.#target.meta;
    const lookups = this.#lookups(where);
    const direct = lookups.every(
      (l) => l.op === "" && l.path.length === 0 && meta.keyFields.includes(l.field),
    );
    const named = new Set(lookups.map((l) => l.field));
    if (direct && lookups.length === meta.keyFields.length && named.size === lookups.length) {
      // Every key field given: the instance key is known, so read the hash directly (one HGETALL).
      const values = Object.fromEntries(lookups.map((l) => [l.field, l.value]));
      const found = await this.#target.loadKey(computeKey(meta, keyValues(meta, values, "found")));
      if (found && this.#state.include.length > 0)
        await applyIncludes(meta, [found], includeTree(this.#state.include));
      return found;
    }
    const rows = await fetchRows(meta, { ...this.#state, lookups, offset: 0, limit: 2 }, { kind: "load" });
    if (rows.length > 1) throw new MultipleResultsError(meta.name, rows.length);
    const [found] = await this.#hydrate(rows);
    return found ?? null;
  }

  count(where?: object): Promise<number> {
    return countRows(this.#target.meta, this.#lookups(where));
  }

  async exists(): Promise<boolean> {
    return (await this.#with({ limit: 1, fields: undefined }).keys()).length > 0;
  }

  async keys(): Promise<string[]> {
    const rows = await fetchRows(this.#target.meta, this.#state, { kind: "keys" });
    return rows.map((row) => row.key);
  }

  then<TResult1 = unknown[], TResult2 = never>(
    onfulfilled?: ((value: unknown[]) => TResult1 | PromiseLike<TResult1>) | null,
    onrejected?: ((reason: unknown) => TResult2 | PromiseLike<TResult2>) | null,
  ): Promise<TResult1 | TResult2> {
    return this.all().then(onfulfilled, onrejected);
  }
}
