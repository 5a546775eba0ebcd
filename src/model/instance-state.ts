import type { Snapshot } from "./hash.js";

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
}

const states = new WeakMap<object, InstanceState>();

export const stateOf = (instance: object): InstanceState => {
  let state = states.get(instance);
  if (!state) {
    state = { pk: undefined, snapshot: undefined, stored: undefined };
    states.set(instance, state);
  }
  return state;
};
