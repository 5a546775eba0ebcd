import { encodeMessage } from "../encoding/codec/encode.js";
import { ShardMoveError } from "../errors.js";
import { changeStreamOf, compositeIndexHash, indexValuesHash, modelEventsChannel } from "../keys/keys.js";
import { decodeSnapshot, type Snapshot } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { KeyList } from "../scripts/key-list.js";
import type { ScriptArg } from "../scripts/run-script.js";
import { diffEntries, indexEntries, splitHashMember, type IndexEntry } from "./index-entries.js";

export type { Snapshot } from "../model/hash.js";

/** What a save writes, given the stored state it replaces. */
export interface SaveContent {
  readonly newKey: string;
  /** Hash fields to write, msgpack-encoded. */
  readonly hash: readonly (readonly [string, Buffer])[];
  readonly newEntries: readonly IndexEntry[];
  /** Unique fields and their set keys among `newEntries`. */
  readonly unique: readonly (readonly [field: string, setKey: string])[];
}

/**
 * One instance's part of a write: what it assumes is stored, and (for a save) how to compute what
 * to write from that assumption. When `write.lua` finds the assumption wrong, the executor
 * replaces `expected` with the stored state and plans again.
 */
export interface WriteIntent {
  readonly meta: ModelMeta;
  /**
   * `update`: a save of some fields, which needs the hash itself to exist (not only a ttl shadow).
   * `upsert`: a save of the changed fields of a stored instance; planned as an `update` while the
   * instance is assumed stored, else as a full `save` (with every indexed field checked).
   */
  readonly kind: "save" | "update" | "upsert" | "delete" | "purge";
  /** The key whose stored state is replaced: where the instance is now (or its new key if it is new). */
  readonly oldKey: string;
  expected: Snapshot;
  /**
   * Fields whose stored bytes the script checks (default: the model's indexed fields, which decide
   * every index entry). A write that computes from another field's value adds that field.
   */
  readonly checkFields?: readonly string[] | undefined;
  /** For a purge: the entries to remove when nothing is stored (derived from the key alone). */
  readonly fallbackEntries?: readonly IndexEntry[] | undefined;
  readonly build?: ((assumed: Snapshot) => SaveContent) | undefined;
  /** Entries to remove besides those the stored state names (index repair: stale or wrong entries). */
  readonly extraRemovals?: readonly IndexEntry[] | undefined;
  /** Index repair: write every entry the new content calls for, as if none existed yet. */
  readonly rewriteEntries?: boolean | undefined;
  /**
   * `save({ ifUnchanged: true })`: `expected` holds every field as loaded, and a difference fails
   * the write with ConcurrentModificationError instead of planning it again.
   */
  readonly ifUnchanged?: boolean | undefined;
  /**
   * A write that changes nothing the application sees (the reshard mover's copy and delete of an
   * instance moving buckets): no model event is published and no change-feed entry appended.
   */
  readonly silent?: boolean | undefined;
  /**
   * Seconds to EXPIRE the written hash with, instead of the model's `ttl` (`save({ ttl })`,
   * `expire()`), or -1 to leave the hash's expiry as it is (index repairs); only on a model whose
   * instances may expire (`meta.expiring`).
   */
  readonly ttl?: number | undefined;
  /** Fail with AlreadyExists instead of replacing an instance stored at the key (getOrCreate). */
  readonly createOnly?: boolean | undefined;
}

/**
 * A set that must hold exactly these members when the write runs (empty: must be empty), or with
 * `absent`, none of them (a bucket's `$Retired` set must not name the writer's layout count).
 */
export interface Guard {
  readonly key: string;
  readonly members: readonly string[];
  readonly absent?: boolean | undefined;
}

/** A `write.lua` call: data only, so a unit test can assert it and the executor can send it. */
export interface WriteCall {
  readonly keys: readonly string[];
  readonly args: readonly ScriptArg[];
  /** Per intent, the unique fields checked, in ARGV order (to name them in errors). */
  readonly uniqueFields: readonly (readonly string[])[];
  /** Per intent, the key it writes to. */
  readonly newKeys: readonly string[];
  /** Per intent, what a save writes (undefined for a delete or purge). */
  readonly contents: readonly (SaveContent | undefined)[];
}

/** Index entries of a stored state (none when nothing is stored). */
export const entriesOf = (meta: ModelMeta, key: string, snapshot: Snapshot): IndexEntry[] =>
  snapshot === null ? [] : indexEntries(meta, key, decodeSnapshot(meta, key, snapshot));

/** A sharded key's bucket tag (`{Event#3.17}`): keys of one bucket share it. */
const slotTag = (key: string): string => key.slice(0, key.indexOf("}") + 1);

const OP_CODES = { save: "s", update: "u", delete: "d", purge: "p" } as const;

/**
 * Entries in write.lua's compact form: an entry whose member is the instance key itself (`own`:
 * the old key for removals, the new key for additions) is sent as an upper-case kind and its
 * set's position only; others carry their member. A hash entry sends its field, then its value
 * unless it is `own`. Additions carry scores and coordinates.
 */
const pushEntries = (
  args: ScriptArg[],
  keys: KeyList,
  entries: readonly IndexEntry[],
  own: string,
  withScores: boolean,
): void => {
  args.push(entries.length);
  for (const entry of entries) {
    if (entry.kind === "h") {
      const { field, value } = splitHashMember(entry.member);
      if (value === own) args.push("H", keys.position(entry.key), field);
      else args.push("h", keys.position(entry.key), field, value);
    } else if (entry.member === own) args.push(entry.kind.toUpperCase(), keys.position(entry.key));
    else args.push(entry.kind, keys.position(entry.key), entry.member);
    if (!withScores) continue;
    if (entry.kind === "z") args.push(String(entry.score));
    else if (entry.kind === "g") args.push(String(entry.longitude), String(entry.latitude));
  }
};

/** What a model change event says: `{ model, key, op, fields }` (plus `previousKey` after a key move). */
export interface ModelEvent {
  readonly model: string;
  readonly key: string;
  readonly op: "save" | "delete";
  /** Fields written (all of them for a full save; none for a delete). */
  readonly fields: readonly string[];
  readonly previousKey?: string;
}

const modelEvent = (
  meta: ModelMeta,
  intent: WriteIntent,
  newKey: string,
  content: SaveContent | undefined,
): { channel: string; message: Buffer } => {
  const event: ModelEvent =
    intent.kind !== "delete" && intent.kind !== "purge"
      ? {
          model: meta.name,
          key: newKey,
          op: "save",
          fields: (content?.hash ?? []).map(([name]) => name),
          ...(newKey !== intent.oldKey && intent.expected !== null ? { previousKey: intent.oldKey } : {}),
        }
      : { model: meta.name, key: intent.oldKey, op: "delete", fields: [] };
  return { channel: modelEventsChannel(meta), message: Buffer.from(encodeMessage(event)) };
};

/** The script op of an intent, given what it assumes is stored. */
export const plannedKind = (intent: WriteIntent): "save" | "update" | "delete" | "purge" =>
  intent.kind !== "upsert"
    ? intent.kind
    : intent.expected === null || shadowSnapshots.has(intent.expected)
      ? "save"
      : "update";

/** The fields a write's stored-state check covers. */
export const checkedFields = (intent: WriteIntent): readonly string[] =>
  intent.kind === "upsert" && plannedKind(intent) === "save"
    ? intent.meta.indexedFields
    : (intent.checkFields ?? intent.meta.indexedFields);

/** Snapshots read from a ttl shadow: the instance's hash is gone (set by the executor). */
export const shadowSnapshots = new WeakSet<object>();

/** Plans one `write.lua` call for several intents and guards, applied all together or not at all. */
export function planWrites(intents: readonly WriteIntent[], guards: readonly Guard[] = []): WriteCall {
  const keys = new KeyList();
  const args: ScriptArg[] = [guards.length];
  for (const guard of guards)
    args.push(
      keys.position(guard.key),
      guard.absent ? -guard.members.length : guard.members.length,
      ...guard.members,
    );
  args.push(intents.length);
  const uniqueFields: string[][] = [];
  const newKeys: string[] = [];
  const contents: (SaveContent | undefined)[] = [];
  const changes: ScriptArg[] = [];
  const hashChecks: ScriptArg[] = [];
  for (const [w, intent] of intents.entries()) {
    const { meta, oldKey, expected } = intent;
    const kind = plannedKind(intent);
    const checked = checkedFields(intent);
    const content = kind === "save" || kind === "update" ? intent.build?.(expected) : undefined;
    const newKey = content?.newKey ?? oldKey;
    if (meta.shards > 1 && expected !== null && newKey !== oldKey && slotTag(newKey) !== slotTag(oldKey))
      throw new ShardMoveError(meta.name, oldKey, newKey);
    const oldPosition = keys.position(oldKey);
    args.push(OP_CODES[kind], oldPosition, content && newKey !== oldKey ? keys.position(newKey) : 0);
    if (meta.expiring)
      args.push(
        intent.ttl ?? meta.ttl ?? -1,
        keys.position(indexValuesHash(meta, oldKey)),
        content ? keys.position(indexValuesHash(meta, newKey)) : 0,
      );
    else args.push(0);
    args.push(expected === null ? "0" : "1", checked.length, ...checked);
    if (expected !== null) for (const name of checked) args.push(expected.get(name) ?? "");
    const hash = content?.hash ?? [];
    args.push(hash.length);
    for (const [name, value] of hash) args.push(name, value);
    const unique = content?.unique ?? [];
    args.push(unique.length, ...unique.map(([, setKey]) => keys.position(setKey)));
    const oldEntries = intent.rewriteEntries
      ? []
      : expected === null && intent.fallbackEntries
        ? intent.fallbackEntries
        : entriesOf(meta, oldKey, expected);
    const { remove, add } = diffEntries(oldEntries, content?.newEntries ?? []);
    if (intent.extraRemovals) remove.push(...intent.extraRemovals);
    pushEntries(args, keys, remove, oldKey, false);
    pushEntries(args, keys, add, newKey, true);
    const event =
      meta.events && !intent.silent && intent.kind !== "purge"
        ? modelEvent(meta, intent, newKey, content)
        : undefined;
    if (event) args.push(1, event.channel, event.message);
    else args.push(0);
    // The change feed: the script appends the write if it commits and changes something (to the
    // stream of the instance's bucket on a sharded model: newKey and oldKey share it).
    if (meta.changes && !intent.silent && intent.kind !== "purge")
      changes.push(w + 1, keys.position(changeStreamOf(meta, newKey)), meta.changes.maxLen, meta.name);
    const labels = unique.map(([field]) => field);
    // A `$Index` entry this write adds must not replace another live instance's: Popoto 1.x
    // writers record their unique combinations there only (not in `$CompositeF`). An index
    // repair re-adds entries without judging them.
    if (!intent.rewriteEntries)
      for (const entry of add) {
        const index = entry.kind === "h" ? indexOfHash(meta, entry.key) : undefined;
        if (index === undefined) continue;
        labels.push(index.fields.join("+"));
        hashChecks.push(w + 1, keys.position(entry.key), splitHashMember(entry.member).field, labels.length);
      }
    uniqueFields.push(labels);
    newKeys.push(newKey);
    contents.push(content);
  }
  // Trailing sections (write.lua's header): the change feed's, sent when some model keeps one or
  // when the `$Index` checks follow; then the `$Index` checks, when a write adds such an entry.
  if (changes.length > 0 || hashChecks.length > 0) args.push(changes.length / 4, ...changes);
  if (hashChecks.length > 0) args.push(hashChecks.length / 4, ...hashChecks);
  return { keys: keys.keys, args, uniqueFields, newKeys, contents };
}

/** The unique composite index whose `$Index` hash is `key`. */
const indexOfHash = (meta: ModelMeta, key: string): ModelMeta["compositeIndexes"][number] | undefined =>
  meta.compositeIndexes.find((index) => index.unique && compositeIndexHash(meta, index.fields) === key);
