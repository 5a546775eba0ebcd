/**
 * The public types of models: the class `Model()` returns, its instances, and the options and
 * reports of their methods. Type-only.
 *
 * Over 300 lines because it is the public contract of a model in one place: each type is a
 * documented declaration users read in their editor, and splitting them would scatter that page.
 */
import type { ChangeFeed } from "../changes/feed.js";
import type { ResumeReport } from "./delete-resume.js";
import type { FieldKind, OnDelete } from "../fields/field.js";
import type { FieldType } from "../fields/field-type.js";
import type { IndexReport, MaintenanceOptions, RepairOptions, RepairResult } from "../maintenance/indexes.js";
import type { MigrateOptions, MigrateResult } from "../schema/migrate.js";
import type { ReshardOptions, ReshardResult } from "../shards/reshard.js";
import type { Subscriber, SubscriberOptions } from "../pubsub/subscriber.js";
import type { RelatedRef } from "../query/filter-types.js";
import type { Query, RelationshipName } from "../query/query.js";
import type { BulkOptions } from "../write/bulk.js";
import type { ModelEvent } from "../write/plan-write.js";
import type { ModelMeta } from "./meta.js";
import type { StandardSchemaV1 } from "./standard-schema.js";
import type {
  ConfigOf,
  ConstructInput,
  CreateInput,
  Fields,
  KeyLookup,
  PlainValues,
  StoredFields,
  Values,
} from "./value-types.js";

/** Options of `save()`. */
export interface SaveOptions<TFields extends Fields = Fields> {
  /**
   * Write only these fields (and their index entries), computing everything else from what is
   * stored, so processes updating different fields do not overwrite each other. `[]` writes nothing.
   */
  readonly fields?: readonly (keyof Values<TFields> & string)[] | undefined;
  /**
   * Optimistic locking: write only if no field changed in Redis since this copy was loaded or
   * saved, else fail with ConcurrentModificationError and write nothing. Without it, a save
   * writes the fields this copy changed and keeps other writers' changes to other fields.
   */
  readonly ifUnchanged?: boolean | undefined;
  /**
   * Seconds the instance lives after this write, instead of the model's `ttl` (a later save
   * without it sets the model's ttl again, or, on a model declared `expiring: true` without a
   * ttl, keeps the expiry the hash has). Only on a model with a `ttl` or `expiring: true`.
   */
  readonly ttl?: number | undefined;
}

/** Names of a model's int, float and decimal fields. */
export type NumericFieldName<TFields extends Fields> = {
  [K in keyof TFields & string]: ConfigOf<TFields[K]>["type"] extends "int" | "float" | "decimal"
    ? ConfigOf<TFields[K]>["kind"] extends "relationship"
      ? never
      : K
    : never;
}[keyof TFields & string];

/** Names of a model's relationship fields declared with `many: true`. */
export type ManyRelationshipName<TFields extends Fields> = {
  [K in keyof TFields & string]: ConfigOf<TFields[K]> extends { readonly many: true } ? K : never;
}[keyof TFields & string];

/** Members every model instance has, besides its fields. */
export interface InstanceMembers<TFields extends Fields = Fields, TName extends string = string> {
  /** The instance key computed from the current key-field values (`Book:The Hobbit`). */
  readonly redisKey: string;
  /**
   * Writes the hash and every index entry in one atomic script. If key fields changed, the
   * instance moves: the old hash and all its old entries go in the same step.
   */
  save(options?: SaveOptions<TFields>): Promise<this>;
  /**
   * Adds `delta` to a numeric field in Redis (hash and sorted index together, atomically, from
   * the stored value) and returns the new value, which the instance also takes.
   * @example await book.atomicIncrement("sold", 2)
   */
  atomicIncrement<TField extends NumericFieldName<TFields>>(
    field: TField,
    delta: number | (Values<TFields>[TField] extends string | null ? string : never),
  ): Promise<NonNullable<Values<TFields>[TField]>>;
  /**
   * Makes the stored instance expire `seconds` from now (EXPIRE, in the write script that keeps
   * its index entries exact after it expires); writes no field. Only on a model with a `ttl` or
   * `expiring: true`; NotSavedError when the instance is not stored.
   * @example await session.expire(60)
   */
  expire(seconds: number): Promise<this>;
  /** Deletes the hash and every index entry of its stored values; true if it existed. */
  delete(): Promise<boolean>;
  /**
   * Lifecycle hook: runs before validation and planning on every save (`save()`, `create()`,
   * `getOrCreate()`, `updateOrCreate()`, `bulkCreate()`, `bulkUpdate()`). Override it to derive
   * values; throw to cancel the save (nothing is written). May be async.
   */
  preSave(): void | Promise<void>;
  /**
   * Lifecycle hook: runs after a save Redis committed, on the same operations as `preSave`; never
   * for a save that failed. A throw here becomes a HookError (`HOOK`): the write stands.
   */
  postSave(): void | Promise<void>;
  /**
   * Lifecycle hook: runs before `instance.delete()` plans anything; throw to cancel (nothing is
   * deleted). Deletes by key (`bulkDelete()`, `query.delete()`, `deleteAll()`, onDelete cascades)
   * do not load instances and run no hooks.
   */
  preDelete(): void | Promise<void>;
  /** Lifecycle hook: runs after `instance.delete()` removed a stored instance (not when none was stored). */
  postDelete(): void | Promise<void>;
  /** The non-hidden fields as a plain object (relationships as instance keys). */
  toJSON(): Record<string, unknown>;
  /** The non-hidden fields as a plain object, relationships as keys or (loaded ones) nested objects. */
  toDict(options?: ToDictOptions): Record<string, unknown>;
  /** Resolves to this instance, so `await book.author?.load()` works on instances and References alike. */
  load(): Promise<this>;
  /**
   * Adds targets to a `many: true` relationship in one atomic write that re-reads the stored list,
   * so concurrent adds and removes by other processes are kept. The instance must be saved.
   */
  addRelated(field: ManyRelationshipName<TFields>, ...targets: readonly RelatedRef[]): Promise<this>;
  /** Removes targets from a `many: true` relationship, atomically, as `addRelated` adds them. */
  removeRelated(field: ManyRelationshipName<TFields>, ...targets: readonly RelatedRef[]): Promise<this>;
  /**
   * The instances of `model` whose relationship `field` points at this instance, as a query
   * (filter, count, orderBy, limit…), without loading them all.
   * @example await tolkien.related(Book, "author").count() // SCARD-sized work on $RelationshipF:Book:author:Author:Tolkien
   */
  related<TModel extends AnyConstructor & { readonly "~fields"?: Fields }>(
    model: TModel,
    field: RelationshipTo<NonNullable<TModel["~fields"]>, TName>,
  ): Query<NonNullable<TModel["~fields"]>, InstanceOf<TModel>>;
}

/** The model name a relationship target names (a class, a function returning one, or a name). */
type TargetNameOf<TTarget> = TTarget extends string
  ? TTarget
  : TTarget extends { readonly modelName: infer N extends string }
    ? N
    : TTarget extends () => infer C
      ? C extends { readonly modelName: infer N extends string }
        ? N
        : string
      : string;

/** Names of the relationship fields of `TFields` that point at model `TName`. */
export type RelationshipTo<TFields extends Fields, TName extends string> = {
  [K in RelationshipName<TFields>]: string extends TName
    ? K
    : ConfigOf<TFields[K]> extends { readonly target: infer T }
      ? string extends TargetNameOf<T>
        ? K
        : TargetNameOf<T> extends TName
          ? K
          : never
      : never;
}[RelationshipName<TFields>];

/** An instance of a model made by `Model(name, fields)`: its field values and InstanceMembers. */
export type ModelInstance<TFields extends Fields, TName extends string = string> = Values<TFields> &
  InstanceMembers<TFields, TName> & {
    /** Phantom: the model's name, so instances of two models with the same fields are not interchangeable. */
    readonly "~model"?: TName;
  };

export type AnyConstructor = abstract new (...args: never) => object;
export type InstanceOf<TClass> = TClass extends abstract new (...args: never) => infer I ? I : never;

/**
 * The instance type of `Book.query.filter(...)` results: the model's fields and methods. Call the
 * accessor (`Book.query().filter(...)`) to have them typed as your class, with its getters.
 */
export type QueryInstance<TName extends string, TFields extends Fields> = ModelInstance<TFields, TName>;

/**
 * `Book.query`: Popoto's spelling (`Book.query.filter(...)`, results typed by the model's fields),
 * and, called, the same query typed as the class it is called on:
 * `const b: Book | null = await Book.query().get({ title: "Dune" })`, with Book's getters and
 * methods. Both run the same query; results are instances of your class either way.
 */
export interface QueryAccessor<TFields extends Fields, TInstance> extends Query<TFields, TInstance> {
  /** This model's query, typed as the class it is called on (`Book.query()` gives `Book` results). */
  <TThis extends AnyConstructor>(this: TThis): Query<TFields, InstanceOf<TThis>>;
}

/** The fields a model class was made from: `FieldsOf<typeof Book>`. */
export type FieldsOf<TModel> = TModel extends { readonly "~fields"?: infer F extends Fields } ? F : never;

/** The `create()` input of a model class: `InferCreate<typeof Book>`. */
export type InferCreate<TModel> = CreateInput<FieldsOf<TModel>>;

/** The field values of a model's instances: `InferValues<typeof Book>`. */
export type InferValues<TModel> = Values<FieldsOf<TModel>>;

/** Kinds whose fields can name an instance in getOrCreate/updateOrCreate (indexed by value). */
type LookupKinds =
  "key" | "uniqueKey" | "autoKey" | "sortedKey" | "indexed" | "unique" | "sorted" | "relationship";

/** Fields getOrCreate/updateOrCreate can look up by: indexed ones (a plain field cannot be found). */
export type LookupName<TFields extends Fields> = {
  [K in keyof StoredFields<TFields> & string]: ConfigOf<StoredFields<TFields>[K]>["kind"] extends LookupKinds
    ? K
    : never;
}[keyof StoredFields<TFields> & string];

/** The lookup of getOrCreate/updateOrCreate: values of indexed fields only. */
export type CreateLookup<TFields extends Fields> = {
  [K in LookupName<TFields> & keyof CreateInput<TFields>]?: CreateInput<TFields>[K];
};

/**
 * `Model.changes`, typed only on a model declared with `changes` (`true` or `{ maxLen }`), so
 * reading the feed of a model without one is a compile error rather than a run-time one.
 */
export type ChangeFeedStatics<TFields extends Fields, TChanges> = [TChanges] extends [false | undefined]
  ? unknown
  : {
      /**
       * The durable change feed (`stream:<Model>`, one stream per bucket of a sharded model) of a
       * model declared with `changes`: every committed create, update and delete, with the new
       * values; replay by id, or consume as a group.
       */
      readonly changes: ChangeFeed<PlainValues<TFields>>;
    };

/** The class `Model()` returns, to be extended: `class Book extends Model("Book", {…}) {}`. */
export interface ModelClass<TName extends string, TFields extends Fields> {
  new (values?: ConstructInput<TFields>): ModelInstance<TFields, TName>;
  readonly prototype: ModelInstance<TFields, TName>;
  /** The model's name: the prefix of its Redis keys. */
  readonly modelName: TName;
  /** Phantom: the field definitions, for types that follow relationships. */
  readonly "~fields"?: TFields;
  /** @internal */
  readonly meta: ModelMeta;
  /**
   * Queries on this model: `Book.query.filter(...)`, or `Book.query().filter(...)` to have results
   * typed as your class (with its getters and methods). See QueryAccessor.
   */
  readonly query: QueryAccessor<TFields, ModelInstance<TFields, TName>>;
  /** Popoto's alias of `query`. */
  readonly objects: QueryAccessor<TFields, ModelInstance<TFields, TName>>;
  /**
   * Validates, then saves a new instance. An instance already stored at its key is not replaced:
   * KeyConflictError (`KEY_CONFLICT`), atomically, so of two concurrent creates one fails. Use
   * `save()` (an upsert) or `updateOrCreate()` to replace.
   * @example await Book.create({ title: "Dune", pages: 412 }) // one EVALSHA write.lua
   */
  create<TThis extends AnyConstructor>(this: TThis, values: CreateInput<TFields>): Promise<InstanceOf<TThis>>;
  /**
   * Loads one instance by its key-field values or its instance key; null when absent.
   * @example await Book.load({ title: "Dune" }) // HGETALL Book:Dune
   */
  load<TThis extends AnyConstructor>(
    this: TThis,
    key: KeyLookup<TFields> | string,
  ): Promise<InstanceOf<TThis> | null>;
  /**
   * Every valid filter key (Popoto's `get_filter_query_params`), including keys through
   * relationships down to `depth` hops (default 1).
   */
  filterParams(options?: { readonly depth?: number | undefined }): string[];
  /**
   * The instance matching `lookup` (exact field values), or a new one made from `lookup` and
   * `defaults`. Safe under races when `lookup` names the key fields or a unique field: the create
   * only succeeds if nothing is stored at its key, so two callers get one instance.
   * @example const [author, created] = await Author.getOrCreate({ name: "Le Guin" }, { country: "US" })
   */
  getOrCreate<TThis extends AnyConstructor>(
    this: TThis,
    lookup: CreateLookup<TFields>,
    defaults?: Partial<CreateInput<TFields>>,
  ): Promise<[InstanceOf<TThis>, boolean]>;
  /** Updates the instance matching `lookup` with `values` (a partial save), or creates it; `[instance, created]`. */
  updateOrCreate<TThis extends AnyConstructor>(
    this: TThis,
    lookup: CreateLookup<TFields>,
    values?: Partial<CreateInput<TFields>>,
  ): Promise<[InstanceOf<TThis>, boolean]>;
  /**
   * Validates every item, then saves them in batches (one pipeline per `batchSize`), each instance
   * atomically with its index entries. Items are instances or `create()` inputs.
   */
  bulkCreate<TThis extends AnyConstructor>(
    this: TThis,
    items: readonly (InstanceOf<TThis> | CreateInput<TFields>)[],
    options?: BulkOptions,
  ): Promise<InstanceOf<TThis>[]>;
  /** Saves many instances (all fields, or `fields` only) in batches; returns how many were written. */
  bulkUpdate(
    instances: readonly ModelInstance<TFields, TName>[],
    options?: BulkOptions & { readonly fields?: readonly (keyof Values<TFields> & string)[] | undefined },
  ): Promise<number>;
  /** Deletes many instances (or instance keys) in batches, each atomically; returns how many existed. */
  bulkDelete(
    items: readonly (ModelInstance<TFields, TName> | string)[],
    options?: BulkOptions,
  ): Promise<number>;
  /** Deletes every instance of the model (SSCAN of the class set, batched); returns how many existed. */
  deleteAll(options?: BulkOptions): Promise<number>;
  /** Whether an instance is stored under these key values or this instance key (one EXISTS). */
  exists(key: KeyLookup<TFields> | string): Promise<boolean>;
  /**
   * Compares every index structure with the hashes and reports each difference (read-only;
   * SCAN-based; safe while the application writes).
   */
  checkIndexes(options?: MaintenanceOptions): Promise<IndexReport>;
  /** Removes stale index entries (and corrects wrong scores). */
  cleanIndexes(options?: RepairOptions): Promise<RepairResult>;
  /** Makes every index match the hashes, adding what is missing (e.g. after Python Popoto wrote data). */
  rebuildIndexes(options?: RepairOptions): Promise<RepairResult>;
  /**
   * Builds the indexes this definition declares that Redis does not hold for every stored
   * instance yet, drops those no longer declared, and records the model's schema fingerprint
   * (`$Schema:<Model>`): resumable, in bounded steps, safe while the application writes.
   */
  migrate(options?: MigrateOptions): Promise<MigrateResult>;
  /**
   * Moves a sharded model's instances to `shards` buckets online (docs/storage.md §7a
   * "Resharding"); run again with the same count to resume one that stopped.
   */
  reshard(options: ReshardOptions): Promise<ReshardResult>;
  /**
   * Finishes the deletes of this model's instances that a crash interrupted (their
   * `$DeleteJournal` keys); what `npx popoto repair` runs. README "Operations".
   */
  resumeDeletes(): Promise<ResumeReport>;
  /** What each field is: kind, type, nullability, partitions, relationship target (for tooling). */
  readonly fields: Readonly<Record<keyof StoredFields<TFields> & string, FieldInfo>>;
  /**
   * The `create()` input as a Standard Schema v1 (`~standard`, shared with zod, valibot and
   * arktype): `Book.schema["~standard"].validate(body)` gives `{ value }` (the given fields,
   * converted) or `{ issues: [{ message, path: [field] }] }`, checking what create() checks
   * before its write, without writing. Frameworks that take a Standard Schema take the model.
   */
  readonly schema: StandardSchemaV1<CreateInput<TFields>, CreateInput<TFields>>;
  /** The pub/sub channel of this model's change events (`$ModelEvents:<Model>`), when `events: true`. */
  readonly eventsChannel: string;
  /** Subscribes to this model's change events (declare the model with `events: true`). */
  subscribe(
    handler: (event: ModelEvent) => void | Promise<void>,
    options?: SubscriberOptions,
  ): Subscriber<ModelEvent>;
}

/** What `Model.fields` says of one field. */
export interface FieldInfo {
  readonly name: string;
  readonly kind: FieldKind;
  readonly type: FieldType;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
  /** Part of the instance key. */
  readonly key: boolean;
  /** Hidden fields start with `_` and are left out of toJSON()/toDict(). */
  readonly hidden: boolean;
  readonly maxLength: number | undefined;
  readonly partitionBy: readonly string[];
  /** Relationships: the target model's name, whether it holds many, what deleting the target does. */
  readonly target: string | undefined;
  readonly many: boolean;
  readonly onDelete: OnDelete | undefined;
  /** String lookups read `$LexF` / `$LexRevF` indexes (`lexIndex: true`) rather than scanning. */
  readonly lexIndex: boolean;
}

/** Options of `toDict()`. */
export interface ToDictOptions {
  /** Loaded related instances as nested objects (References stay keys); default: keys. */
  readonly relationships?: boolean | undefined;
  /** How deep nested relationships go (default 1); deeper ones, and cycles, give keys. */
  readonly depth?: number | undefined;
  /** Only these fields. */
  readonly include?: readonly string[] | undefined;
  /** Leave these fields out. */
  readonly exclude?: readonly string[] | undefined;
}
