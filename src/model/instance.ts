/**
 * The instance side of every model class: the methods an instance has besides its fields. Each
 * reads its model's meta from the prototype (`[MODEL_META]`, set by `Model()`) and passes it on.
 */
import { ConcurrentModificationError, NotSavedError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { QueryAccessorImpl } from "../query/accessor.js";
import type { QueryImpl } from "../query/query.js";
import { AlreadyExists, deleteInstance, executeQueued } from "../write/execute-write.js";
import { initialValue } from "./defaults.js";
import { inspectInstance, instanceJSON } from "./display.js";
import { encodeValue, type Snapshot } from "./hash.js";
import { Stateful, stateOf } from "./instance-state.js";
import { keyBody, layoutView } from "../keys/keys.js";
import { cachedLayout } from "../shards/layout.js";
import { runPostHooks } from "./hooks.js";
import { changeRelated } from "./many.js";
import type { ModelMeta } from "./meta.js";
import type { ToDictOptions } from "./model-types.js";
import { deleteWithActions, hasDeleteActions } from "./on-delete.js";
import { checkTtl } from "./expiry.js";
import { incrementField, partialIntent } from "./partial.js";
import { PREPARE_SAVE, prepareSave, type PrepareSaveOptions, type PreparedSave } from "./prepare-save.js";
import { noteSubclass } from "./registry.js";
import { toDict } from "./to-dict.js";
import { checkField, computeKey, keyValues, rejectUnknownFields } from "./values.js";

/** Where an instance finds its model's meta: a property of each model class's prototype. */
export const MODEL_META: unique symbol = Symbol("popoto.meta");

/** Passed to a model constructor to build an instance from stored values (no defaults, no auto key). */
export const BLANK: unique symbol = Symbol("popoto.blank");

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
 * The base of every model class. Its public face is typed by `ModelInstance` (model-types.ts);
 * here an instance is what it is at run time, a record of field values with these methods.
 */
export class InstanceBase extends Stateful {
  /** Field values, by name (relationship fields are accessors on the model's prototype). */
  [field: string]: unknown;
  declare readonly [MODEL_META]: ModelMeta;

  constructor(values?: Record<string, unknown> | typeof BLANK) {
    super();
    const meta = this[MODEL_META];
    noteSubclass(meta.name, new.target);
    if (values === BLANK) return;
    if (values !== undefined && values !== null) rejectUnknownFields(meta, values, "constructed");
    for (const field of meta.fieldNames) {
      const given = values?.[field];
      this[field] = given !== undefined ? given : initialValue(meta.fields.get(field) as FieldSpec);
    }
  }

  get redisKey(): string {
    const meta = this[MODEL_META];
    const key = computeKey(meta, keyValues(meta, this, "keyed"));
    if (meta.shards <= 1) return key;
    // A sharded instance read from another layout than the declared one (after a reshard) is at
    // the key it was read from while its key fields are unchanged; else at its key in the layout
    // this connection uses.
    const stored = stateOf(this).pk;
    if (stored !== undefined && keyBody(stored) === keyBody(key)) return stored;
    const layout = cachedLayout(meta);
    return layout && layout.to === undefined && layout.count !== meta.shards
      ? computeKey(layoutView(meta, layout.count), keyValues(meta, this, "keyed"))
      : key;
  }

  // The lifecycle hooks: override them on your class (README "Lifecycle hooks" says which
  // operations run them). Pre-hooks run before anything is planned; post-hooks after the commit.
  preSave(): void | Promise<void> {
    // Override to derive values before validation, or throw to cancel the save.
  }

  postSave(): void | Promise<void> {
    // Override to act once the save is committed.
  }

  preDelete(): void | Promise<void> {
    // Override to check before a delete, or throw to cancel it.
  }

  postDelete(): void | Promise<void> {
    // Override to act once the delete is committed.
  }

  async save(options?: { fields?: readonly string[]; ifUnchanged?: boolean; ttl?: number }): Promise<this> {
    const prepared = await this[PREPARE_SAVE](options ?? {});
    if (!prepared) return this;
    try {
      await executeQueued(prepared.intent);
    } catch (error) {
      // ifUnchanged on a copy never loaded: something is stored there already.
      if (error instanceof AlreadyExists && options?.ifUnchanged)
        throw new ConcurrentModificationError(this[MODEL_META].name, error.key, 1, { staleCopy: true });
      throw error;
    }
    prepared.commit();
    await runPostHooks(this[MODEL_META].name, "postSave", [
      { instance: this, key: stateOf(this).pk ?? this.redisKey },
    ]);
    return this;
  }

  /**
   * @internal Runs preSave, stamps auto dates and validates, then returns the write (not yet
   * sent) and what to apply to the instance once it succeeded; undefined when there is nothing
   * to write. Shared by save() and the bulk operations.
   */
  async [PREPARE_SAVE](options: PrepareSaveOptions): Promise<PreparedSave | undefined> {
    await this.preSave();
    return prepareSave(this[MODEL_META], this, options);
  }

  /**
   * Sets the instance's expiry to `seconds` from now, as `save({ ttl })` would, writing no field:
   * one write that checks the stored state, so the index entries stay exact when it expires.
   */
  async expire(seconds: number): Promise<this> {
    const meta = this[MODEL_META];
    const ttl = checkTtl(meta, seconds, "expire()");
    const state = stateOf(this);
    if (state.pk === undefined)
      throw new NotSavedError(meta.name, `save the instance before expire(${String(seconds)}).`);
    const { intent } = partialIntent(meta, state.pk, state.snapshot ?? null, new Map());
    await executeQueued({ ...intent, ttl });
    return this;
  }

  async atomicIncrement(field: string, delta: number | string): Promise<unknown> {
    const meta = this[MODEL_META];
    const state = stateOf(this);
    if (state.pk === undefined)
      throw new NotSavedError(meta.name, `save the instance before atomicIncrement("${field}").`);
    const { value, snapshot, bytes } = await incrementField(
      meta,
      state.pk,
      state.snapshot ?? null,
      field,
      delta,
      this[field],
    );
    this[field] = value;
    state.snapshot = snapshot;
    state.stored?.set(field, bytes);
    return value;
  }

  async addRelated(field: string, ...targets: unknown[]): Promise<this> {
    await changeRelated(this[MODEL_META], this, field, targets, true);
    return this;
  }

  async removeRelated(field: string, ...targets: unknown[]): Promise<this> {
    await changeRelated(this[MODEL_META], this, field, targets, false);
    return this;
  }

  async delete(): Promise<boolean> {
    await this.preDelete();
    const meta = this[MODEL_META];
    const state = stateOf(this);
    const key = state.pk ?? this.redisKey;
    const expected = state.snapshot ?? guessSnapshot(meta, this);
    const existed = hasDeleteActions(meta)
      ? await deleteWithActions(meta, key, expected ?? null)
      : await deleteInstance(meta, key, expected);
    state.pk = undefined;
    state.snapshot = undefined;
    state.stored = undefined;
    // Only a delete that removed a stored instance runs postDelete: one of an absent key wrote nothing.
    if (existed) await runPostHooks(meta.name, "postDelete", [{ instance: this, key }]);
    return existed;
  }

  toJSON(): Record<string, unknown> {
    return instanceJSON(this[MODEL_META], this);
  }

  /** What console.log and util.inspect show: the class, the key and every field (relationships too). */
  [Symbol.for("nodejs.util.inspect.custom")](
    depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    return inspectInstance(this[MODEL_META], this, depth, options, inspect);
  }

  load(): Promise<this> {
    return Promise.resolve(this);
  }

  toDict(options: ToDictOptions = {}): Record<string, unknown> {
    return toDict(this, options, options.depth ?? 1, new Set());
  }

  /**
   * The instances of `model` whose relationship `field` points at this instance, as a query.
   * @example await tolkien.related(Book, "author").orderBy("-pages").limit(5) // SMEMBERS $RelationshipF:Book:author:Author:Tolkien …
   */
  related(model: { readonly query: QueryAccessorImpl }, field: string): QueryImpl {
    return model.query.filter({ [field]: this });
  }
}
