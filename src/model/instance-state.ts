import type { Snapshot } from "./hash.js";
import { relatedKeyOf } from "./values.js";

/**
 * What an instance knows about its stored copy: where it is (`pk`) and the stored bytes of its
 * indexed fields when it was loaded or last saved (`snapshot`, the guess a save sends for
 * `write.lua` to verify). Kept outside the instance so user fields and getters cannot collide.
 */
export interface InstanceState {
  pk: string | undefined;
  snapshot: Snapshot | undefined;
  /**
   * Every field's stored bytes as loaded or last written: a save writes only the fields whose
   * value differs (dirty tracking). Undefined for a new instance or one loaded in part.
   */
  stored: Map<string, Buffer> | undefined;
  /**
   * Relationship targets `include()` found gone (deleted, expired) and left out of the field
   * (null, or missing from a many list), by field. A save writes them back as they were, so
   * loading with include() never clears a stored relationship; assigning the field drops them.
   */
  dangling: Map<string, Dangling> | undefined;
}

/** A relationship's keys before include() (in stored order), and those whose target is gone. */
export interface Dangling {
  readonly keys: readonly string[];
  readonly gone: readonly string[];
}

const states = new WeakMap<object, InstanceState>();

export const stateOf = (instance: object): InstanceState => {
  let state = states.get(instance);
  if (!state) {
    state = { pk: undefined, snapshot: undefined, stored: undefined, dangling: undefined };
    states.set(instance, state);
  }
  return state;
};

/** The field was assigned: gone targets include() left out of it are no longer kept. */
export const forgetDangling = (instance: object, field: string): void => {
  states.get(instance)?.dangling?.delete(field);
};

/**
 * The field values a save validates: the instance itself, or, when include() left gone targets
 * out of some relationships, a copy with their keys put back (a single relationship still null,
 * a many list with the gone keys added).
 */
export const saveSource = (
  fieldNames: readonly string[],
  instance: Readonly<Record<string, unknown>>,
  state: InstanceState,
): Readonly<Record<string, unknown>> => {
  const dangling = state.dangling;
  if (!dangling || dangling.size === 0) return instance;
  const source: Record<string, unknown> = {};
  for (const field of fieldNames) source[field] = instance[field];
  for (const [field, { keys, gone }] of dangling) {
    const current = source[field];
    if (Array.isArray(current)) {
      // The stored order, less what was removed since, then what was added.
      const held = current.map((item) => relatedKeyOf(item) ?? item);
      const heldKeys = new Set(held);
      const stored = new Set(keys);
      source[field] = [
        ...keys.filter((key) => gone.includes(key) || heldKeys.has(key)),
        ...held.filter((key) => typeof key !== "string" || !stored.has(key)),
      ];
    } else if (current === null || current === undefined) source[field] = gone[0] ?? null;
  }
  return source;
};
