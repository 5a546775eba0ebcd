import { NotSavedError, ValidationError } from "../errors.js";
import { queuedRelated } from "../write/coalesce.js";
import { decodeValue, type Snapshot } from "./hash.js";
import { stateOf } from "./instance-state.js";
import type { ModelMeta } from "./meta.js";
import { checkField, validateForSave } from "./values.js";

/**
 * Adds or removes targets of a many-relationship: `commute.lua` merges them into the list Redis
 * holds and updates the reverse sets in the same script, so concurrent changes by any number of
 * writers all take effect and none is retried. Only that field and its reverse sets are written.
 */
export async function changeManyRelationship(
  meta: ModelMeta,
  key: string,
  expected: Snapshot,
  field: string,
  targets: readonly string[],
  add: boolean,
): Promise<{ snapshot: Snapshot; list: string[]; bytes: Buffer }> {
  const bytes = await queuedRelated(meta, key, field, add ? "add" : "remove", targets);
  const list = decodeValue(meta, key, field, bytes) as string[];
  const snapshot = expected === null ? null : new Map(expected);
  snapshot?.set(field, bytes);
  return { snapshot, list, bytes };
}

/** `addRelated()` / `removeRelated()` of a saved instance: checks, writes, then updates the instance. */
export async function changeRelated(
  meta: ModelMeta,
  instance: Record<string, unknown>,
  field: string,
  targets: readonly unknown[],
  add: boolean,
): Promise<void> {
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
  const state = stateOf(instance);
  if (state.pk === undefined)
    throw new NotSavedError(
      meta.name,
      `save the instance before changing ${field} with ${add ? "addRelated" : "removeRelated"}().`,
    );
  const checked = checkField(meta, spec, field, [...targets], []);
  if (!checked.ok) validateForSave(meta, { ...instance, [field]: targets });
  const keys = (checked.ok ? checked.value : []) as string[];
  const snapshot = await changeManyRelationship(meta, state.pk, state.snapshot ?? null, field, keys, add);
  state.snapshot = snapshot.snapshot;
  state.stored?.set(field, snapshot.bytes);
  instance[field] = snapshot.list;
}
