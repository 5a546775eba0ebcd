import { indexValuesHash } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import type { ScriptArg } from "../scripts/run-script.js";
import { diffEntries, type IndexEntry } from "./index-entries.js";

/**
 * The stored bytes of a model's indexed fields (`meta.indexedFields`), as read from Redis:
 * a field missing from the hash maps to `undefined`. `null` means nothing is stored.
 */
export type Snapshot = ReadonlyMap<string, Buffer | undefined> | null;

/** A `write.lua` call: data only, so a unit test can assert it and the executor can send it. */
export interface WriteCall {
  readonly keys: readonly string[];
  readonly args: readonly ScriptArg[];
  /** The unique sets checked, in ARGV order, with the field each belongs to (to name it in errors). */
  readonly uniqueFields: readonly string[];
}

/** Collects keys for KEYS and hands out their 1-based positions; a key is sent once. */
class KeyList {
  readonly keys: string[] = [];
  readonly #positions = new Map<string, number>();
  position(key: string): number {
    let position = this.#positions.get(key);
    if (position === undefined) {
      this.keys.push(key);
      position = this.keys.length;
      this.#positions.set(key, position);
    }
    return position;
  }
}

const pushExpectation = (args: ScriptArg[], meta: ModelMeta, expected: Snapshot): void => {
  args.push(expected === null ? "0" : "1", meta.indexedFields.length, ...meta.indexedFields);
  if (expected !== null) for (const name of meta.indexedFields) args.push(expected.get(name) ?? "");
};

const pushEntries = (
  args: ScriptArg[],
  keys: KeyList,
  entries: readonly IndexEntry[],
  withScores: boolean,
): void => {
  args.push(entries.length);
  for (const entry of entries) {
    args.push(entry.kind, keys.position(entry.key), entry.member);
    if (!withScores) continue;
    if (entry.kind === "z") args.push(String(entry.score));
    else if (entry.kind === "g") args.push(String(entry.longitude), String(entry.latitude));
  }
};

export interface SavePlanInput {
  readonly meta: ModelMeta;
  /** The key whose stored state is replaced: where the instance was, or `newKey` for a new one. */
  readonly oldKey: string;
  readonly newKey: string;
  /** Stored state the plan assumes; the script checks it and answers STALE when it differs. */
  readonly expected: Snapshot;
  /** Index entries derived from `expected` (none when nothing is stored). */
  readonly oldEntries: readonly IndexEntry[];
  readonly newEntries: readonly IndexEntry[];
  /** Hash fields to write, msgpack-encoded. */
  readonly hash: readonly (readonly [string, Buffer])[];
  /** Unique fields and their set keys among `newEntries`. */
  readonly unique: readonly (readonly [field: string, setKey: string])[];
}

/** Plans a save (or key move) of one instance as a single `write.lua` call. */
export function planSave(input: SavePlanInput): WriteCall {
  const { meta, oldKey, newKey } = input;
  const keys = new KeyList();
  const shadows = meta.ttl !== undefined;
  const args: ScriptArg[] = [
    "save",
    keys.position(oldKey),
    keys.position(newKey),
    shadows ? keys.position(indexValuesHash(meta, oldKey)) : 0,
    shadows ? keys.position(indexValuesHash(meta, newKey)) : 0,
    meta.ttl ?? 0,
  ];
  pushExpectation(args, meta, input.expected);
  args.push(input.hash.length);
  for (const [name, value] of input.hash) args.push(name, value);
  args.push(input.unique.length, ...input.unique.map(([, setKey]) => keys.position(setKey)));
  const { remove, add } = diffEntries(input.oldEntries, input.newEntries);
  pushEntries(args, keys, remove, false);
  pushEntries(args, keys, add, true);
  return { keys: keys.keys, args, uniqueFields: input.unique.map(([field]) => field) };
}

export interface DeletePlanInput {
  readonly meta: ModelMeta;
  readonly key: string;
  readonly expected: Snapshot;
  readonly oldEntries: readonly IndexEntry[];
  /** Only remove leftovers: the script does nothing if the hash exists (an expired instance's cleanup). */
  readonly purge?: boolean | undefined;
}

/** Plans the delete of one instance: its hash, its shadow and every index entry of its stored values. */
export function planDelete({ meta, key, expected, oldEntries, purge }: DeletePlanInput): WriteCall {
  const keys = new KeyList();
  const args: ScriptArg[] = [
    purge ? "purge" : "delete",
    keys.position(key),
    0,
    meta.ttl !== undefined ? keys.position(indexValuesHash(meta, key)) : 0,
    0,
    0,
  ];
  pushExpectation(args, meta, expected);
  args.push(0, 0);
  pushEntries(args, keys, oldEntries, false);
  args.push(0);
  return { keys: keys.keys, args, uniqueFields: [] };
}
