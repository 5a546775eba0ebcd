/**
 * The schema-fingerprint section of a `write.lua` call (the script's header describes it): for each
 * model the call saves instances of, its `$Schema` hash, its class set and its index ids, so the
 * first save into an empty model records which indexes are complete, and every save reports
 * whether its model's indexes may be queried. Added when the call is sent, after planning, so the
 * planned call stays the data `planWrites` returns.
 */
import { classSet, schemaKey } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { KeyList } from "../scripts/key-list.js";
import type { ScriptArg } from "../scripts/run-script.js";
import { indexIds } from "../schema/fingerprint.js";
import { noteWritten } from "../schema/state.js";
import { plannedKind, type WriteCall, type WriteIntent } from "./plan-write.js";

/** A write call with its fingerprint section, and the models the section names, in order. */
export interface FingerprintedCall {
  readonly keys: readonly string[];
  readonly args: readonly ScriptArg[];
  readonly models: readonly ModelMeta[];
}

/**
 * `call` with the fingerprint section appended for the models of the intents that save. Sharded
 * models keep no fingerprint (one per bucket would be needed), so they are left out.
 */
export function withFingerprints(call: WriteCall, intents: readonly WriteIntent[]): FingerprintedCall {
  const models = fingerprintModels(intents);
  if (models.length === 0) return { keys: call.keys, args: call.args, models };
  const keys = new KeyList();
  for (const key of call.keys) keys.position(key);
  // Marked with "fp": the script finds it after whichever optional sections the plan has.
  const args: ScriptArg[] = [...call.args, "fp", models.length];
  for (const meta of models) {
    const ids = indexIds(meta);
    args.push(keys.position(schemaKey(meta)), keys.position(classSet(meta)), ids.length, ...ids);
  }
  return { keys: keys.keys, args, models };
}

/** The models whose fingerprint a call of these intents names: those it saves instances of. */
export function fingerprintModels(intents: readonly WriteIntent[]): ModelMeta[] {
  const models: ModelMeta[] = [];
  for (const intent of intents) {
    const kind = plannedKind(intent);
    if ((kind === "save" || kind === "update") && intent.meta.shards <= 1 && !models.includes(intent.meta))
      models.push(intent.meta);
  }
  return models;
}

/** Remembers what a committed write's reply said about each model's fingerprint. */
export function noteFingerprints(models: readonly ModelMeta[], states: unknown): void {
  if (!Array.isArray(states)) return;
  models.forEach((meta, f) => {
    const state = states[f];
    if (typeof state === "number") noteWritten(meta, state);
  });
}
