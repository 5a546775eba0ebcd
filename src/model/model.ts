import { subMillisecondMicros, withMicros } from "../encoding/temporal.js";
import { randomUUID } from "node:crypto";
import { getConnection, isClusterMode, wrapRedisError } from "../connection/connection.js";
import {
  ConcurrentModificationError,
  describeReceived,
  CorruptDataError,
  KeyConflictError,
  ModelDefinitionError,
  PopotoError,
  UniqueViolationError,
  ValidationError,
} from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import { filterParams } from "../query/filter-params.js";
import { QueryImpl, type QueryTarget } from "../query/query.js";
import { queryAccessor, type QueryAccessorImpl } from "../query/accessor.js";
import type { Row } from "../query/execute.js";
import { Reference } from "../fields/reference.js";
import {
  AlreadyExists,
  deleteInstance,
  executeQueued,
  executeWrites,
  saveIntent,
  type SaveResult,
} from "../write/execute-write.js";
import type { BulkOptions } from "../write/bulk.js";
import type { ModelEvent } from "../write/plan-write.js";
import { Subscriber, type SubscriberOptions } from "../pubsub/subscriber.js";
import { modelEventsChannel, modelTag } from "../keys/keys.js";
import { deleteEverything, saveMany } from "./bulk.js";
import { deleteKeys } from "./delete-many.js";
import { toDict } from "./to-dict.js";
import {
  checkIndexes,
  cleanIndexes,
  rebuildIndexes,
  type IndexReport,
  type MaintenanceOptions,
  type RepairResult,
  type RepairOptions,
} from "../maintenance/indexes.js";
import type { FieldInfo, ModelClass, ToDictOptions } from "./model-types.js";
export type {
  AnyConstructor,
  CreateLookup,
  FieldInfo,
  FieldsOf,
  InferCreate,
  InferValues,
  LookupName,
  QueryAccessor,
  RelationshipTo,
  InstanceMembers,
  InstanceOf,
  ManyRelationshipName,
  ModelClass,
  ModelInstance,
  NumericFieldName,
  QueryInstance,
  SaveOptions,
  ToDictOptions,
} from "./model-types.js";
import type { Snapshot, WriteIntent } from "../write/plan-write.js";
import { defineMeta } from "./define.js";
import { decodeHash, encodeValue, snapshotOf } from "./hash.js";
import { forgetDangling, saveSource, stateOf } from "./instance-state.js";
import { instanceKeyOf } from "./key-string.js";
import { changeManyRelationship } from "./many.js";
import { incrementField, partialIntent } from "./partial.js";
import { dirtySaveIntent } from "../write/plan-save.js";
import { deleteWithActions, hasDeleteActions } from "./on-delete.js";
import { targetName } from "./targets.js";
import type { ModelMeta, ModelOptions } from "./meta.js";
import { noteSubclass, registerModel } from "./registry.js";
import type { Fields } from "./types.js";
import {
  checkField,
  computeKey,
  keyValues,
  rejectUnknownFields,
  unknownFieldIssues,
  validateFields,
  validateForSave,
} from "./values.js";

/** The internal method that prepares a save without sending it (for bulk writes). */
export const PREPARE_SAVE: unique symbol = Symbol("popoto.prepareSave");

/** Passed to a model constructor to build an instance from stored values (no defaults, no auto key). */
const HYDRATE: unique symbol = Symbol("popoto.hydrate");

const copyDefault = (value: unknown): unknown => {
  if (value instanceof Date) return withMicros(new Date(value.getTime()), subMillisecondMicros(value));
  if (value instanceof Set) return new Set(value);
  if (Array.isArray(value) || (value !== null && typeof value === "object" && !(value instanceof Uint8Array)))
    return structuredClone(value);
  return value;
};

const initialValue = (spec: FieldSpec): unknown => {
  if (spec.kind === "autoKey") return randomUUID().replaceAll("-", "").slice(0, spec.autoLength);
  if (!spec.hasDefault) return null;
  // A function default is called per instance, and a literal one copied, so instances never share one object.
  return typeof spec.default === "function" ? (spec.default as () => unknown)() : copyDefault(spec.default);
};

/**
 * A field value as JSON can hold it: a set as an array, bytes as base64, the same inside lists
 * and dicts (Dates are left to their own toJSON: ISO text).
 */
const jsonValue = (value: unknown): unknown => {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (value instanceof Set) return [...value].map(jsonValue);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value;
};

/** A guess at the stored state of an instance never loaded: its own indexed values, if they are valid. */
const guessSnapshot = (meta: ModelMeta, instance: Record<string, unknown>): Snapshot | undefined => {
  const snapshot = new Map<string, Buffer | undefined>();
  for (const name of meta.indexedFields) {
    const result = checkField(meta, meta.fields.get(name) as FieldSpec, name, instance[name], []);
    if (!result.ok) return undefined;
    snapshot.set(name, encodeValue(meta.fields.get(name) as FieldSpec, result.value));
  }
  return snapshot;
};

/**
 * Defines a model: a class to extend, whose fields come from `fields` and whose instances are
 * Redis hashes at `Name:<key parts>`, indexed as docs/storage.md describes.
 * @example class Book extends Model("Book", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}
 */
export function Model<const TName extends string, const TFields extends Fields>(
  name: TName,
  fields: TFields,
  options?: ModelOptions<keyof TFields & string>,
): ModelClass<TName, TFields> {
  const meta = defineMeta(name, fields as Record<string, never>, options);

  const relationshipFields = meta.fieldNames.filter((f) => meta.fields.get(f)?.kind === "relationship");
  /** A relationship value as held: instances and References as given, keys turned into References. */
  const normalizeRelated = (field: string, value: unknown): unknown => {
    const spec = meta.fields.get(field) as FieldSpec;
    const one = (item: unknown): unknown =>
      typeof item === "string"
        ? new Reference({ modelName: targetName(meta.name, field, spec) }, item)
        : item;
    if (spec.many)
      return Array.isArray(value) ? value.map(one) : value === null || value === undefined ? [] : value;
    return value === undefined ? null : one(value);
  };

  class PopotoModel {
    static readonly meta: ModelMeta = meta;
    static readonly modelName: string = name;

    constructor(values?: Record<string, unknown> | typeof HYDRATE) {
      noteSubclass(name, new.target);
      if (values === HYDRATE) return;
      if (values !== undefined && values !== null) rejectUnknownFields(meta, values, "constructed");
      const self = this as unknown as Record<string, unknown>;
      for (const field of meta.fieldNames) {
        const given = values?.[field];
        self[field] = given !== undefined ? given : initialValue(meta.fields.get(field) as FieldSpec);
      }
    }

    get redisKey(): string {
      return computeKey(meta, keyValues(meta, this as unknown as Record<string, unknown>, "keyed"));
    }

    preSave(): void | Promise<void> {
      // Override to derive values before validation.
    }

    async save(options?: { fields?: readonly string[]; ifUnchanged?: boolean }): Promise<this> {
      const prepared = await this[PREPARE_SAVE](options ?? {});
      if (!prepared) return this;
      try {
        await executeQueued(prepared.intent);
      } catch (error) {
        // ifUnchanged on a copy never loaded: something is stored there already.
        if (error instanceof AlreadyExists && options?.ifUnchanged)
          throw new ConcurrentModificationError(meta.name, error.key, 1, { staleCopy: true });
        throw error;
      }
      prepared.commit();
      return this;
    }

    /**
     * @internal Runs preSave, stamps auto dates and validates, then returns the write (not yet
     * sent) and what to apply to the instance once it succeeded; undefined when there is nothing
     * to write. Shared by save() and the bulk operations.
     */
    async [PREPARE_SAVE](options: {
      fields?: readonly string[];
      createOnly?: boolean;
      ifUnchanged?: boolean;
    }): Promise<{ intent: WriteIntent; commit: () => void } | undefined> {
      await this.preSave();
      const self = this as unknown as Record<string, unknown>;
      const state = stateOf(this);
      const listed = options.fields;
      const now = new Date();
      for (const [field, spec] of meta.fields) {
        if (listed && !listed.includes(field)) continue;
        if (spec.autoNow || (spec.autoNowAdd && (self[field] === null || self[field] === undefined)))
          self[field] = new Date(now.getTime());
      }
      const apply = (values: ReadonlyMap<string, unknown>, result: SaveResult): void => {
        for (const [field, value] of values) {
          if ((meta.fields.get(field) as FieldSpec).kind !== "relationship") self[field] = value;
        }
        state.pk = result.key;
        state.snapshot = result.snapshot;
        state.stored = result.stored;
      };
      if (listed && state.pk !== undefined) {
        rejectUnknownFields(meta, Object.fromEntries(listed.map((f) => [f, true])), "saved");
        if (listed.length === 0) return undefined;
        const updates = validateFields(meta, saveSource(meta.fieldNames, self, state), listed);
        const { intent, result } = partialIntent(meta, state.pk, state.snapshot ?? null, updates);
        return {
          intent,
          commit: () => {
            const stored = state.stored;
            const after = result();
            apply(updates, { ...after, stored: undefined });
            // The listed fields now hold what this copy has; the others are as before.
            if (stored)
              state.stored = new Map([
                ...stored,
                ...[...updates].map(
                  ([f, v]) => [f, encodeValue(meta.fields.get(f) as FieldSpec, v)] as const,
                ),
              ]);
          },
        };
      }
      const values = validateForSave(meta, saveSource(meta.fieldNames, self, state));
      if (state.pk !== undefined && state.stored !== undefined && options.createOnly !== true) {
        const { intent, outcome } = dirtySaveIntent(
          meta,
          state.pk,
          values,
          state.stored,
          state.snapshot ?? null,
          options.ifUnchanged === true,
        );
        return { intent, commit: () => apply(values, outcome()) };
      }
      const { intent, result } = saveIntent(
        meta,
        values,
        state.pk,
        state.snapshot,
        options.createOnly === true || options.ifUnchanged === true,
      );
      return { intent, commit: () => apply(values, result) };
    }

    async atomicIncrement(field: string, delta: number | string): Promise<unknown> {
      const state = stateOf(this);
      if (state.pk === undefined)
        throw new PopotoError(
          "NOT_SAVED",
          `${meta.name}: save the instance before atomicIncrement("${field}").`,
          {
            model: meta.name,
          },
        );
      const self = this as unknown as Record<string, unknown>;
      const { value, snapshot, bytes } = await incrementField(
        meta,
        state.pk,
        state.snapshot ?? null,
        field,
        delta,
        self[field],
      );
      self[field] = value;
      state.snapshot = snapshot;
      state.stored?.set(field, bytes);
      return value;
    }

    addRelated(field: string, ...targets: unknown[]): Promise<this> {
      return this.#changeRelated(field, targets, true);
    }

    removeRelated(field: string, ...targets: unknown[]): Promise<this> {
      return this.#changeRelated(field, targets, false);
    }

    async #changeRelated(field: string, targets: readonly unknown[], add: boolean): Promise<this> {
      const spec = meta.fields.get(field);
      if (!spec || spec.kind !== "relationship" || !spec.many)
        throw new ValidationError(meta.name, [
          {
            field,
            expected: "a relationship declared with many: true",
            received: spec ? `a ${spec.factory} field` : "an unknown field",
            message: `${add ? "addRelated" : "removeRelated"}() works on relationships declared with { many: true }`,
          },
        ]);
      const state = stateOf(this);
      if (state.pk === undefined)
        throw new PopotoError(
          "NOT_SAVED",
          `${meta.name}: save the instance before changing ${field} with ${add ? "addRelated" : "removeRelated"}().`,
          {
            model: meta.name,
          },
        );
      const checked = checkField(meta, spec, field, [...targets], []);
      if (!checked.ok)
        validateForSave(meta, { ...(this as unknown as Record<string, unknown>), [field]: targets });
      const keys = (checked.ok ? checked.value : []) as string[];
      const snapshot = await changeManyRelationship(meta, state.pk, state.snapshot ?? null, field, keys, add);
      state.snapshot = snapshot.snapshot;
      state.stored?.set(field, snapshot.bytes);
      (this as unknown as Record<string, unknown>)[field] = snapshot.list;
      return this;
    }

    async delete(): Promise<boolean> {
      const state = stateOf(this);
      const self = this as unknown as Record<string, unknown>;
      const key = state.pk ?? this.redisKey;
      const expected = state.snapshot ?? guessSnapshot(meta, self);
      const existed = hasDeleteActions(meta)
        ? await deleteWithActions(meta, key, expected ?? null)
        : await deleteInstance(meta, key, expected);
      state.pk = undefined;
      state.snapshot = undefined;
      state.stored = undefined;
      return existed;
    }

    toJSON(): Record<string, unknown> {
      const self = this as unknown as Record<string, unknown>;
      const plain = (value: unknown): unknown =>
        Array.isArray(value)
          ? value.map(plain)
          : value !== null && typeof value === "object" && "redisKey" in value
            ? (value as { redisKey: unknown }).redisKey
            : value;
      return Object.fromEntries(
        meta.fieldNames
          .filter((f) => !f.startsWith("_"))
          .map((f) => [f, relationshipFields.includes(f) ? plain(self[f]) : jsonValue(self[f])]),
      );
    }

    /** What console.log and util.inspect show: the class, the key and every field (relationships too). */
    [Symbol.for("nodejs.util.inspect.custom")](
      depth: number,
      options: object,
      inspect: (value: unknown, options: object) => string,
    ): string {
      const self = this as unknown as Record<string, unknown>;
      const fields: Record<string, unknown> = {};
      for (const f of meta.fieldNames) fields[f] = self[f];
      let key: string;
      try {
        key = stateOf(this).pk ?? this.redisKey;
      } catch {
        key = "unsaved";
      }
      const shown = depth < 0 ? "{ … }" : inspect(fields, { ...options, depth });
      return `${this.constructor.name} <${key}> ${shown}`;
    }

    load(): Promise<this> {
      return Promise.resolve(this);
    }

    toDict(options: ToDictOptions = {}): Record<string, unknown> {
      return toDict(this, options, options.depth ?? 1, new Set());
    }

    // `this` is the class the getter was read on (`Book`, the user's subclass), so results are
    // built with its getters and methods. `Book.query()` returns the same query: the call form
    // exists for the compiler, which types a call's `this` (the class) but not a getter's.
    static get query(): QueryAccessorImpl {
      noteSubclass(name, this);
      return accessorFor(this);
    }

    static filterParams(options?: { depth?: number }): string[] {
      return filterParams(meta, options?.depth ?? 1);
    }

    /** @internal Builds an instance of this class from a loaded row (include(), References). */
    static hydrateRow(this: new (values?: unknown) => PopotoModel, row: Row): PopotoModel {
      return hydrate(this, row);
    }

    /**
     * The instances of `model` whose relationship `field` points at this instance, as a query.
     * @example await tolkien.related(Book, "author").orderBy("-pages").limit(5) // SMEMBERS $RelationshipF:Book:author:Author:Tolkien …
     */
    related(model: { readonly query: QueryAccessorImpl }, field: string): QueryImpl {
      return model.query.filter({ [field]: this });
    }

    static get objects(): QueryAccessorImpl {
      noteSubclass(name, this);
      return accessorFor(this);
    }

    static async create(
      this: new (values: Record<string, unknown>) => PopotoModel,
      values: Record<string, unknown>,
    ) {
      if (values === null || typeof values !== "object")
        throw new ValidationError(
          meta.name,
          [
            {
              field: "(input)",
              expected: "an object of field values",
              received: String(values),
              message: "create() takes an object of field values",
            },
          ],
          "created",
        );
      noteSubclass(name, this);
      const unknown = unknownFieldIssues(meta, values);
      if (unknown.length > 0) {
        // Every problem at once: the unknown names, then what is wrong with the known fields.
        const known = Object.fromEntries(Object.entries(values).filter(([field]) => meta.fields.has(field)));
        const issues = [...unknown];
        try {
          validateForSave(meta, new this(known) as unknown as Record<string, unknown>);
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          issues.push(...error.issues);
        }
        throw new ValidationError(meta.name, issues, "created");
      }
      const instance = new this(values);
      // Create-only: the write script refuses a key that holds a hash, in the same atomic step
      // that writes it, so two concurrent create() calls of one key cannot both succeed.
      const prepared = await instance[PREPARE_SAVE]({ createOnly: true });
      if (!prepared) return instance;
      try {
        await executeWrites([prepared.intent]);
      } catch (error) {
        if (error instanceof AlreadyExists) throw new KeyConflictError(meta.name, undefined, error.key);
        throw error;
      }
      prepared.commit();
      return instance;
    }

    static async getOrCreate(
      this: (new (values?: Record<string, unknown>) => PopotoModel) & { query: QueryAccessorImpl },
      lookup: Record<string, unknown>,
      defaults: Record<string, unknown> = {},
    ): Promise<[PopotoModel, boolean]> {
      return findOrCreate(this, lookup, { ...defaults, ...lookup }, undefined);
    }

    static async updateOrCreate(
      this: (new (values?: Record<string, unknown>) => PopotoModel) & { query: QueryAccessorImpl },
      lookup: Record<string, unknown>,
      values: Record<string, unknown> = {},
    ): Promise<[PopotoModel, boolean]> {
      return findOrCreate(this, lookup, { ...values, ...lookup }, values);
    }

    static async bulkCreate(
      this: new (values?: Record<string, unknown>) => PopotoModel,
      items: readonly unknown[],
      options?: BulkOptions,
    ): Promise<PopotoModel[]> {
      noteSubclass(name, this);
      const instances = items.map((item) => {
        if (item instanceof PopotoModel) return item;
        rejectUnknownFields(meta, item as Record<string, unknown>, "created");
        return new this(item as Record<string, unknown>);
      });
      await saveMany(() => Promise.all(instances.map((i) => i[PREPARE_SAVE]({}))), options);
      return instances;
    }

    static async bulkUpdate(
      instances: readonly PopotoModel[],
      options: BulkOptions & { fields?: readonly string[] } = {},
    ): Promise<number> {
      const fields = options.fields;
      return saveMany(
        () => Promise.all(instances.map((i) => i[PREPARE_SAVE](fields ? { fields } : {}))),
        options,
      );
    }

    static async bulkDelete(
      items: readonly (PopotoModel | string)[],
      options?: BulkOptions,
    ): Promise<number> {
      const keys = items.map((item) =>
        typeof item === "string" ? item : (stateOf(item).pk ?? item.redisKey),
      );
      const deleted = await deleteKeys(meta, keys, options);
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
      return deleteEverything(meta, options);
    }

    static async exists(key: Record<string, unknown> | string): Promise<boolean> {
      const instanceKey =
        typeof key === "string"
          ? instanceKeyOf(meta, key, "exists")
          : computeKey(meta, keyValues(meta, key, "looked up"));
      if (instanceKey === undefined) return false;
      try {
        return (await getConnection().exists(instanceKey)) === 1;
      } catch (error) {
        throw wrapRedisError(error);
      }
    }

    static checkIndexes(options?: MaintenanceOptions): Promise<IndexReport> {
      return checkIndexes(meta, options);
    }

    static cleanIndexes(options?: RepairOptions): Promise<RepairResult> {
      return cleanIndexes(meta, options);
    }

    static rebuildIndexes(options?: RepairOptions): Promise<RepairResult> {
      return rebuildIndexes(meta, options);
    }

    static get fields(): Record<string, FieldInfo> {
      return Object.fromEntries(meta.fieldNames.map((field) => [field, fieldInfo(field)]));
    }

    static get eventsChannel(): string {
      return modelEventsChannel(meta);
    }

    static subscribe(
      handler: (event: ModelEvent) => void | Promise<void>,
      options?: SubscriberOptions,
    ): Subscriber<ModelEvent> {
      return new Subscriber<ModelEvent>(
        modelEventsChannel(meta),
        (_channel, event) => handler(event),
        options,
      );
    }

    static async load(this: new (values?: unknown) => PopotoModel, key: Record<string, unknown> | string) {
      if (typeof key === "string") {
        // On a cluster a key written the standalone way (`Book:Dune`) is read as `{Book}:Dune`.
        // Another model's key names no instance of this model.
        const instanceKey = instanceKeyOf(meta, key, "load");
        return instanceKey === undefined ? null : loadKey(this, instanceKey);
      }
      if (key === null || typeof key !== "object" || Array.isArray(key))
        throw new ValidationError(
          meta.name,
          [
            {
              field: "(key)",
              expected: `an instance key string or an object of ${meta.name}'s key fields`,
              received: describeReceived(key),
              message: `load() takes an instance key string or an object of key fields, received ${describeReceived(key)}`,
            },
          ],
          "loaded",
        );
      return loadKey(this, computeKey(meta, keyValues(meta, key, "loaded")));
    }
  }

  /** getOrCreate / updateOrCreate: find, else create only if nothing is stored there (else find again). */
  const findOrCreate = async (
    Class: (new (values?: Record<string, unknown>) => PopotoModel) & { query: QueryAccessorImpl },
    lookup: Record<string, unknown>,
    create: Record<string, unknown>,
    update: Record<string, unknown> | undefined,
  ): Promise<[PopotoModel, boolean]> => {
    rejectUnknownFields(meta, create, "created");
    for (let attempt = 0; attempt < 8; attempt++) {
      const found = (await Class.query.get(lookup)) as PopotoModel | null;
      if (found) {
        if (update && Object.keys(update).length > 0) {
          Object.assign(found, update);
          await found.save({ fields: Object.keys(update) });
        }
        return [found, false];
      }
      const instance = new Class(create);
      const prepared = await instance[PREPARE_SAVE]({ createOnly: true });
      try {
        if (prepared) await executeWrites([prepared.intent]);
        prepared?.commit();
        return [instance, true];
      } catch (error) {
        // Another caller created it first (same key, or same unique value): find theirs.
        if (error instanceof AlreadyExists || error instanceof UniqueViolationError) continue;
        throw error;
      }
    }
    throw new PopotoError(
      "CONCURRENT_MODIFICATION",
      `${meta.name}: getOrCreate kept racing with other writers; retry.`,
      {
        model: meta.name,
      },
    );
  };

  const fieldInfo = (field: string): FieldInfo => {
    const spec = meta.fields.get(field) as FieldSpec;
    return {
      name: field,
      kind: spec.kind,
      type: spec.type,
      nullable: spec.nullable,
      hasDefault: spec.hasDefault,
      key: meta.keyFields.includes(field),
      hidden: field.startsWith("_"),
      maxLength: spec.maxLength,
      partitionBy: spec.partitionBy,
      target: spec.kind === "relationship" ? targetName(meta.name, field, spec) : undefined,
      many: spec.many,
      onDelete: spec.kind === "relationship" ? spec.onDelete : undefined,
      lexIndex: spec.lexIndex,
    };
  };

  /** A stored relationship must name an instance of its target model, or loading it would load another model. */
  const relatedPrefixes = new Map<string, string>();
  const checkStoredRelated = (key: string, field: string, value: unknown): void => {
    // The target's key prefix, resolved on the first load (the target may be declared by name later).
    // Cached per layout: the same process may connect to a standalone server and then a cluster.
    const cacheKey = `${isClusterMode() ? "cluster" : "standalone"}:${field}`;
    let prefix = relatedPrefixes.get(cacheKey);
    if (prefix === undefined) {
      prefix = `${modelTag(targetName(meta.name, field, meta.fields.get(field) as FieldSpec))}:`;
      relatedPrefixes.set(cacheKey, prefix);
    }
    const keys = Array.isArray(value) ? value : value === null ? [] : [value];
    const wrong = keys.find((k) => typeof k !== "string" || !k.startsWith(prefix));
    if (wrong !== undefined)
      throw new CorruptDataError(
        meta.name,
        key,
        field,
        `it holds ${JSON.stringify(wrong)}, which is not a key of ${prefix.slice(0, -1)} (the relationship's target)`,
      );
  };

  // Every loaded instance passes here: its cost is most of popoto's Node time on reads beyond the
  // baseline's (docs/benchmarks.md, "Node: building instances…"), so it only checks relationship keys and assigns.
  const hydrate = (Class: new (values?: unknown) => PopotoModel, row: Row): PopotoModel => {
    const instance = new Class(HYDRATE);
    const self = instance as unknown as Record<string, unknown>;
    for (const field of meta.fieldNames) {
      const value = row.values.get(field) ?? null;
      if (relationshipFields.includes(field)) checkStoredRelated(row.key, field, value);
      self[field] = value;
    }
    const state = stateOf(instance);
    state.pk = row.key;
    state.snapshot = row.hash ? snapshotOf(meta, row.hash) : undefined;
    state.stored = row.hash ? new Map(row.hash) : undefined;
    return instance;
  };

  const loadKey = async (
    Class: new (values?: unknown) => PopotoModel,
    key: string,
  ): Promise<PopotoModel | null> => {
    let flat: Record<string, Buffer>;
    try {
      flat = (await getConnection().hgetallBuffer(key)) as unknown as Record<string, Buffer>;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("WRONGTYPE"))
        throw new CorruptDataError(meta.name, key, "(hash)", "the key holds another Redis type than a hash");
      throw wrapRedisError(error);
    }
    const hash = new Map<string, Buffer>();
    for (const field in flat) hash.set(field, flat[field] as Buffer);
    if (hash.size === 0) return null;
    return hydrate(Class, { key, values: decodeHash(meta, key, hash), hash });
  };

  const accessors = new WeakMap<object, QueryAccessorImpl>();
  const accessorFor = (Class: object): QueryAccessorImpl => {
    let accessor = accessors.get(Class);
    if (!accessor) accessors.set(Class, (accessor = queryAccessor(new QueryImpl(targetFor(Class)))));
    return accessor;
  };

  const targets = new WeakMap<object, QueryTarget>();
  const targetFor = (Class: object): QueryTarget => {
    let target = targets.get(Class);
    if (!target) {
      const Built = Class as new (values?: unknown) => PopotoModel;
      target = { meta, hydrate: (row) => hydrate(Built, row), loadKey: (key) => loadKey(Built, key) };
      targets.set(Class, target);
    }
    return target;
  };

  // Relationship fields are accessors, so an assigned key string becomes a Reference at once
  // (`m.person = "Person:Bob"; m.person.redisKey`).
  const relationshipValues = new WeakMap<object, Map<string, unknown>>();
  for (const field of relationshipFields) {
    Object.defineProperty(PopotoModel.prototype, field, {
      enumerable: true,
      configurable: true,
      get(this: object): unknown {
        const values = relationshipValues.get(this);
        const value = values?.get(field);
        if (value === undefined) return meta.fields.get(field)?.many ? [] : null;
        // Keys (as loaded, or assigned) become References when first read, not when loaded.
        const pending =
          typeof value === "string" || (Array.isArray(value) && value.some((v) => typeof v === "string"));
        if (!pending) return value;
        const normalized = normalizeRelated(field, value);
        values?.set(field, normalized);
        return normalized;
      },
      set(this: object, value: unknown) {
        let values = relationshipValues.get(this);
        if (!values) relationshipValues.set(this, (values = new Map()));
        const empty = meta.fields.get(field)?.many ? [] : null;
        values.set(field, value === undefined || value === null ? empty : value);
        forgetDangling(this, field);
      },
    });
  }
  Object.defineProperty(PopotoModel, "name", { value: name });
  if (!registerModel(name, PopotoModel))
    throw new ModelDefinitionError(
      name,
      `a model named ${name} is already defined; model names are key prefixes and must be unique. Rename one of them.`,
    );
  return PopotoModel as unknown as ModelClass<TName, TFields>;
}
