import type { FieldSpec } from "../fields/field.js";
import { saveIntent, type SaveResult } from "../write/execute-write.js";
import { dirtySaveIntent } from "../write/plan-save.js";
import type { WriteIntent } from "../write/plan-write.js";
import { encodeValue } from "./hash.js";
import { saveSource, stateOf } from "./instance-state.js";
import type { ModelMeta } from "./meta.js";
import { checkTtl } from "./expiry.js";
import { partialIntent } from "./partial.js";
import { rejectUnknownFields, validateFields, validateForSave } from "./values.js";

/** The internal method that prepares a save without sending it (for bulk writes). */
export const PREPARE_SAVE: unique symbol = Symbol("popoto.prepareSave");

/** A save prepared (validated, not sent): its write and what to apply once it succeeded. */
export interface PreparedSave {
  readonly intent: WriteIntent;
  readonly commit: () => void;
}

export interface PrepareSaveOptions {
  readonly fields?: readonly string[] | undefined;
  readonly createOnly?: boolean | undefined;
  readonly ifUnchanged?: boolean | undefined;
  /** Seconds the instance lives after this write (`save({ ttl })`), instead of the model's ttl. */
  readonly ttl?: number | undefined;
}

/** The intent with the save's own ttl, checked (a prepared save is otherwise unchanged). */
const withTtl = (meta: ModelMeta, intent: WriteIntent, ttl: number | undefined): WriteIntent =>
  ttl === undefined ? intent : { ...intent, ttl: checkTtl(meta, ttl, "save({ ttl })") };

/**
 * Stamps auto dates and validates (after the instance's preSave ran), then returns the write
 * (not yet sent) and what to apply to the instance once it succeeded; undefined when there is
 * nothing to write. A listed save of a stored instance is partial, a save of a loaded one writes
 * what changed, anything else writes the whole hash.
 */
export function prepareSave(
  meta: ModelMeta,
  instance: Record<string, unknown>,
  options: PrepareSaveOptions,
): PreparedSave | undefined {
  const state = stateOf(instance);
  if (options.ttl !== undefined) checkTtl(meta, options.ttl, "save({ ttl })");
  const listed = options.fields;
  const now = new Date();
  for (const [field, spec] of meta.fields) {
    if (listed && !listed.includes(field)) continue;
    if (spec.autoNow || (spec.autoNowAdd && (instance[field] === null || instance[field] === undefined)))
      instance[field] = new Date(now.getTime());
  }
  const apply = (values: ReadonlyMap<string, unknown>, result: SaveResult): void => {
    for (const [field, value] of values) {
      if ((meta.fields.get(field) as FieldSpec).kind !== "relationship") instance[field] = value;
    }
    state.pk = result.key;
    state.snapshot = result.snapshot;
    state.stored = result.stored;
  };
  if (listed && state.pk !== undefined) {
    rejectUnknownFields(meta, Object.fromEntries(listed.map((f) => [f, true])), "saved");
    if (listed.length === 0) return undefined;
    const updates = validateFields(meta, saveSource(meta.fieldNames, instance, state), listed);
    const { intent, result } = partialIntent(meta, state.pk, state.snapshot ?? null, updates);
    return {
      intent: withTtl(meta, intent, options.ttl),
      commit: () => {
        const stored = state.stored;
        const after = result();
        apply(updates, { ...after, stored: undefined });
        // The listed fields now hold what this copy has; the others are as before.
        if (stored)
          state.stored = new Map([
            ...stored,
            ...[...updates].map(([f, v]) => [f, encodeValue(meta.fields.get(f) as FieldSpec, v)] as const),
          ]);
      },
    };
  }
  const values = validateForSave(meta, saveSource(meta.fieldNames, instance, state));
  if (state.pk !== undefined && state.stored !== undefined && options.createOnly !== true) {
    const { intent, outcome } = dirtySaveIntent(
      meta,
      state.pk,
      values,
      state.stored,
      state.snapshot ?? null,
      options.ifUnchanged === true,
    );
    return { intent: withTtl(meta, intent, options.ttl), commit: () => apply(values, outcome()) };
  }
  const { intent, result } = saveIntent(
    meta,
    values,
    state.pk,
    state.snapshot,
    options.createOnly === true || options.ifUnchanged === true,
  );
  return { intent: withTtl(meta, intent, options.ttl), commit: () => apply(values, result) };
}
