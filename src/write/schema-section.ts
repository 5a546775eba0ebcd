/**
 * The schema-fingerprint section of a `write.lua` call (the script's header describes it): for each
 * model the call saves instances of, its `$Schema` hash, its class set and its index ids, so the
 * first save into an empty model records which indexes are complete, and every save reports
 * whether its model's indexes may be queried. A sharded model's instance is saved with its
 * bucket's fingerprint and class set (`$Schema:{Event#b.n}`, `$Class:{Event#b.n}`: the write's
 * own slot), so each bucket records its fingerprint when its first instance is saved. Added when the call is sent, after planning, so the
 * planned call stays the data `planWrites` returns.
 */
import { classSet, forKey, schemaKey } from "../keys/keys.js";
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
 * `call` with the fingerprint section appended for the models (the buckets' views, for sharded
 * ones) of the intents that save.
 */
export function withFingerprints(call: WriteCall, intents: readonly WriteIntent[]): FingerprintedCall {
  const models = fingerprintModels(intents, call.newKeys);
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

/**
 * The models whose fingerprint a call of these intents names: those it saves instances of; for a
 * sharded model, the view of the bucket the instance is saved in (named by its new key,
 * `newKeys[w]` of the planned call: a save never moves an instance to another bucket).
 */
export function fingerprintModels(intents: readonly WriteIntent[], newKeys: readonly string[]): ModelMeta[] {
  const models: ModelMeta[] = [];
  intents.forEach((intent, w) => {
    const kind = plannedKind(intent);
    if (kind !== "save" && kind !== "update") return;
    const meta = intent.meta.shards > 1 ? forKey(intent.meta, newKeys[w] ?? intent.oldKey) : intent.meta;
    if (!models.includes(meta)) models.push(meta);
  });
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
