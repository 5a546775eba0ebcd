import type { FieldSpec } from "../fields/field.js";

/**
 * A composite index: the fields (at least two, in this order) whose values together name one set
 * of instances, `$CompositeF:Model:a+b:<a part>:<b part>`; with `unique`, no two instances may
 * share the combination (null values are never a clash, as in SQL and Popoto).
 */
export type CompositeIndex<TFieldName extends string = string> =
  readonly TFieldName[] | { readonly fields: readonly TFieldName[]; readonly unique?: boolean | undefined };

/** Model options accepted by `Model(name, fields, options)`. */
export interface ModelOptions<TFieldName extends string = string, TIndexName extends string = TFieldName> {
  /** Seconds each instance lives after its last save (EXPIRE on every save). */
  readonly ttl?: number | undefined;
  /**
   * Instances may be given their own expiry (`save({ ttl })`, `instance.expire(seconds)`) on a
   * model without a `ttl`: the model then keeps the ttl shadows and existence checks a model
   * with a `ttl` has (implied by `ttl`).
   */
  readonly expiring?: boolean | undefined;
  /**
   * Publish `{ model, key, op, fields }` on `$ModelEvents:<Model>` after each committed save or
   * delete (from inside the write script, so only committed writes are announced).
   */
  readonly events?: boolean | undefined;
  /**
   * Append every committed create, update and delete to the model's change feed, the Redis
   * stream `stream:<Model>` (from inside the write script, so only committed writes appear),
   * trimmed to about `maxLen` entries (default 10 000). Read it with `Model.changes`.
   */
  readonly changes?: boolean | ChangeFeedOptions | undefined;
  /** Default order of query results: field names, `-` for descending. */
  readonly orderBy?: `${"" | "-"}${TFieldName}` | readonly `${"" | "-"}${TFieldName}`[] | undefined;
  /**
   * Spread the model's instances over this many buckets, each with its own hash tag, so a Redis
   * Cluster spreads one model over every master (docs/storage.md §7a). 24 divides evenly over 3,
   * 6, 12 and 24 masters. Absent or 1: one slot, the layout Python Popoto reads.
   */
  readonly shards?: number | undefined;
  /**
   * A key field or a relationship: instances go to the bucket of that value (a relationship: of
   * its target's key), so a filter by it reads one bucket. Default: the instance's own key.
   */
  readonly shardBy?: TFieldName | undefined;
  /**
   * Composite indexes over fields that are each filterable by equality: a filter that gives all
   * of an index's fields by equality reads its one set; `{ fields, unique: true }` makes the
   * combination unique (enforced in the write script, like UniqueField).
   * @example indexes: [["author", "year"], { fields: ["isbn", "edition"], unique: true }]
   */
  readonly indexes?: readonly CompositeIndex<TIndexName>[] | undefined;
}

/** The `changes` model option in its object form. */
export interface ChangeFeedOptions {
  /** The stream is trimmed (XADD MAXLEN ~) to about this many entries; default 10 000. */
  readonly maxLen?: number | undefined;
}

/**
 * Everything popoto knows about a model at run time. Built once by `Model()`; read by the key
 * builders, the write planner and the query planner.
 */
export interface ModelMeta {
  readonly name: string;
  readonly fields: ReadonlyMap<string, FieldSpec>;
  /** Declaration order, hidden `_auto_key` last. */
  readonly fieldNames: readonly string[];
  /** Key fields in code-point order of their names: the order of the instance key's parts. */
  readonly keyFields: readonly string[];
  /**
   * Fields whose stored values decide index entries (key, sorted and partition fields,
   * relationships). Saves check these against Redis before writing.
   */
  readonly indexedFields: readonly string[];
  readonly ttl: number | undefined;
  /**
   * Instances may expire (a model `ttl`, or `expiring: true`): writes keep the `$IndexValues`
   * shadows and queries check each candidate's hash exists.
   */
  readonly expiring: boolean;
  readonly orderBy: readonly string[];
  readonly events: boolean;
  /** Buckets of a sharded model (`shards`); 1 when not sharded. */
  readonly shards: number;
  /** The field whose value picks the bucket (`shardBy`), or undefined for the instance's own key. */
  readonly shardBy: string | undefined;
  /**
   * Set only on a bucket's view of a sharded model (`inBucket()` in keys.ts): the bucket whose
   * keys the key builders spell, or -1 for a plan built once and copied to every bucket.
   */
  readonly bucket?: number | undefined;
  /** Composite indexes, as declared (fields in the order given). */
  readonly compositeIndexes: readonly { readonly fields: readonly string[]; readonly unique: boolean }[];
  /** The change feed's bound when the model has one (`changes`), else undefined. */
  readonly changes: { readonly maxLen: number } | undefined;
}
