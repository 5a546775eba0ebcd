import type { FieldSpec } from "../fields/field.js";

/** Model options accepted by `Model(name, fields, options)`. */
export interface ModelOptions<TFieldName extends string = string> {
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
  /** The change feed's bound when the model has one (`changes`), else undefined. */
  readonly changes: { readonly maxLen: number } | undefined;
}
