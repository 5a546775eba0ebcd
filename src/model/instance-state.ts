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
  /** The relationship fields' values (their accessors on the model's prototype read and write here). */
  related: Map<string, unknown> | undefined;
}

/** A relationship's keys before include() (in stored order), and those whose target is gone. */
export interface Dangling {
  readonly keys: readonly string[];
  readonly gone: readonly string[];
}

const blankState = (): InstanceState => ({
  pk: undefined,
  snapshot: undefined,
  stored: undefined,
  dangling: undefined,
  related: undefined,
});

/**
 * The base of InstanceBase: the state lives in a private field, a slot of the instance (a WeakMap
 * entry per loaded instance cost more than the rest of hydration in profiles), invisible to user
 * fields, `Object.keys`, `toEqual` and JSON.
 */
export class Stateful {
  #state: InstanceState | undefined = undefined;

  /** Callers pass model instances, typed loosely (records, hooks' instances); each is a Stateful. */
  static stateOf(instance: object): InstanceState {
    return ((instance as Stateful).#state ??= blankState());
  }

  /** The state if there is one; undefined for an instance never touched, or another object (a prototype). */
  static peek(instance: object): InstanceState | undefined {
    return #state in instance ? instance.#state : undefined;
  }
}

export const stateOf = (instance: object): InstanceState => Stateful.stateOf(instance);

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
