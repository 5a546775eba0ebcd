/**
 * The class side of every model class: `Book.query`, `Book.create()`, the bulk operations,
 * `load()`, maintenance and events. `this` is the class the method was called on (the user's
 * subclass, or the class `Model()` returned), so results are built with its getters and methods.
 */
import { ChangeFeed } from "../changes/feed.js";
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { inLayout, modelEventsChannel } from "../keys/keys.js";
import {
  checkIndexes,
  cleanIndexes,
  rebuildIndexes,
  type IndexReport,
  type MaintenanceOptions,
  type RepairOptions,
  type RepairResult,
} from "../maintenance/indexes.js";
import { Subscriber, type SubscriberOptions } from "../pubsub/subscriber.js";
import { migrate, type MigrateOptions, type MigrateResult } from "../schema/migrate.js";
import { reshard, type ReshardOptions, type ReshardResult } from "../shards/reshard.js";
import type { QueryAccessorImpl } from "../query/accessor.js";
import { filterParams } from "../query/filter-params.js";
import type { Row } from "../query/rows.js";
import type { BulkOptions } from "../write/bulk.js";
import type { ModelEvent } from "../write/plan-write.js";
import { createInstance, findOrCreate } from "./create.js";
import { deleteEverything } from "./delete-all.js";
import { deleteKeys } from "./delete-many.js";
import { resumeDeletesOf, type ResumeReport } from "./delete-resume.js";
import { fieldInfo } from "./field-info.js";
import { hydrateRow } from "./hydrate-row.js";
import { InstanceBase, MODEL_META } from "./instance.js";
import { stateOf } from "./instance-state.js";
import { instanceKeyOf } from "./key-string.js";
import { loadInstance } from "./load.js";
import type { ModelMeta } from "./meta.js";
import type { FieldInfo } from "./model-types.js";
import { PREPARE_SAVE } from "./prepare-save.js";
import { accessorFor } from "./query-target.js";
import { noteSubclass } from "./registry.js";
import { saveMany } from "./save-many.js";
import { modelSchema, type StandardSchemaV1 } from "./standard-schema.js";
import { candidateKeys, keyValues, rejectUnknownFields } from "./values.js";

export class ModelStatics extends InstanceBase {
  /** Set by `Model()` on each model class. */
  declare static readonly meta: ModelMeta;
  declare static readonly modelName: string;

  // `Book.query()` returns the same query: the call form exists for the compiler, which types a
  // call's `this` (the class) but not a getter's.
  static get query(): QueryAccessorImpl {
    noteSubclass(this.meta.name, this);
    return accessorFor(this.meta, this);
  }

  static get objects(): QueryAccessorImpl {
    noteSubclass(this.meta.name, this);
    return accessorFor(this.meta, this);
  }

  static filterParams(options?: { depth?: number }): string[] {
    return filterParams(this.meta, options?.depth ?? 1);
  }

  /** @internal Builds an instance of this class from a loaded row (include(), References). */
  static hydrateRow(row: Row): InstanceBase {
    return hydrateRow(this.meta, this, row);
  }

  static async create(values: Record<string, unknown>): Promise<InstanceBase> {
    if (values !== null && typeof values === "object") noteSubclass(this.meta.name, this);
    return createInstance(this.meta, this, values);
  }

  static async getOrCreate(
    lookup: Record<string, unknown>,
    defaults: Record<string, unknown> = {},
  ): Promise<[InstanceBase, boolean]> {
    return findOrCreate(this.meta, this, lookup, { ...defaults, ...lookup }, undefined);
  }

  static async updateOrCreate(
    lookup: Record<string, unknown>,
    values: Record<string, unknown> = {},
  ): Promise<[InstanceBase, boolean]> {
    return findOrCreate(this.meta, this, lookup, { ...values, ...lookup }, values);
  }

  static async bulkCreate(items: readonly unknown[], options?: BulkOptions): Promise<InstanceBase[]> {
    const meta = this.meta;
    noteSubclass(meta.name, this);
    const instances = items.map((item) => {
      // An instance of this model (of any class built on it) is saved as it is.
      if (item instanceof InstanceBase && item[MODEL_META] === meta) return item;
      rejectUnknownFields(meta, item as Record<string, unknown>, "created");
      return new this(item as Record<string, unknown>);
    });
    await saveMany(meta.name, instances, (i) => i[PREPARE_SAVE]({}), options);
    return instances;
  }

  static async bulkUpdate(
    instances: readonly InstanceBase[],
    options: BulkOptions & { fields?: readonly string[] } = {},
  ): Promise<number> {
    const fields = options.fields;
    return saveMany(this.meta.name, instances, (i) => i[PREPARE_SAVE](fields ? { fields } : {}), options);
  }

  static async bulkDelete(items: readonly (InstanceBase | string)[], options?: BulkOptions): Promise<number> {
    // On a cluster a key in the standalone spelling (`Row:r1`) names `{Row}:r1`, as for load().
    const keys = items.map((item) =>
      typeof item === "string" ? inLayout(this.meta, item) : (stateOf(item).pk ?? item.redisKey),
    );
    const deleted = await deleteKeys(this.meta, keys, options);
    for (const item of items) {
      if (typeof item === "string") continue;
      const state = stateOf(item);
      state.pk = undefined;
      state.snapshot = undefined;
      state.stored = undefined;
    }
    return deleted;
  }

  static deleteAll(options?: BulkOptions): Promise<number> {
    return deleteEverything(this.meta, options);
  }

  static async exists(key: Record<string, unknown> | string): Promise<boolean> {
    const meta = this.meta;
    const keys =
      typeof key === "string"
        ? [instanceKeyOf(meta, key, "exists")].filter((k) => k !== undefined)
        : candidateKeys(meta, keyValues(meta, key, "looked up"));
    if (keys.length === 0) return false;
    try {
      // Keys of different buckets are counted one by one: EXISTS of several keys is cross-slot.
      const counts = await Promise.all(keys.map((k) => getConnection().exists(k)));
      return counts.some((n) => n === 1);
    } catch (error) {
      throw wrapRedisError(error);
    }
  }

  static checkIndexes(options?: MaintenanceOptions): Promise<IndexReport> {
    return checkIndexes(this.meta, options);
  }

  static cleanIndexes(options?: RepairOptions): Promise<RepairResult> {
    return cleanIndexes(this.meta, options);
  }

  static rebuildIndexes(options?: RepairOptions): Promise<RepairResult> {
    return rebuildIndexes(this.meta, options);
  }

  /**
   * Builds the indexes this definition declares that Redis does not hold for every stored
   * instance yet (a field made a SortedField, a new relationship, a composite index…), drops
   * those no longer declared, and records the result in `$Schema:<Model>`; resumable, in bounded
   * steps, safe while the application writes. `npx popoto migrate` runs it for every model.
   * @example await Book.migrate() // SSCAN $Class:Book in batches, write.lua per instance, HSET $Schema:Book
   */
  static migrate(options?: MigrateOptions): Promise<MigrateResult> {
    return migrate(this.meta, options);
  }

  /**
   * Moves a sharded model's instances to `shards` buckets while the application runs; resumes an
   * interrupted move to the same count. `npx popoto reshard <Model> --shards N` runs it.
   */
  static reshard(options: ReshardOptions): Promise<ReshardResult> {
    return reshard(this.meta, options);
  }

  static resumeDeletes(): Promise<ResumeReport> {
    return resumeDeletesOf(this.meta);
  }

  static get fields(): Record<string, FieldInfo> {
    const meta = this.meta;
    return Object.fromEntries(meta.fieldNames.map((field) => [field, fieldInfo(meta, field)]));
  }

  /** The `create()` input as a Standard Schema v1 (README "Validation"). */
  static get schema(): StandardSchemaV1 {
    return modelSchema(this.meta);
  }

  /** The model's change feed (declared with the `changes` option): replay, consumer groups. */
  static get changes(): ChangeFeed<Record<string, unknown>> {
    return new ChangeFeed(this.meta);
  }

  static get eventsChannel(): string {
    return modelEventsChannel(this.meta);
  }

  static subscribe(
    handler: (event: ModelEvent) => void | Promise<void>,
    options?: SubscriberOptions,
  ): Subscriber<ModelEvent> {
    return new Subscriber<ModelEvent>(
      modelEventsChannel(this.meta),
      (_channel, event) => handler(event),
      options,
    );
  }

  static async load(key: Record<string, unknown> | string): Promise<InstanceBase | null> {
    return loadInstance(this.meta, this, key);
  }
}
