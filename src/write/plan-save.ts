import type { FieldSpec } from "../fields/field.js";
import { decodeSnapshot, decodeValue, encodeHash, encodeValue, snapshotOf } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { computeKey } from "../model/values.js";
import { indexEntries, uniqueSets } from "./index-entries.js";
import { shadowSnapshots, type SaveContent, type Snapshot, type WriteIntent } from "./plan-write.js";

/**
 * The fields whose value differs from the stored bytes the instance was loaded with (or last
 * wrote), with their new bytes. A field counts as unchanged when its bytes are the stored ones,
 * or when the stored bytes decode to the same value (bytes another client wrote in a form popoto
 * would not write, such as a float32 or a datetime with microseconds): those are never rewritten.
 */
export function dirtyFields(
  meta: ModelMeta,
  key: string,
  values: ReadonlyMap<string, unknown>,
  stored: ReadonlyMap<string, Buffer>,
): Map<string, Buffer> {
  const dirty = new Map<string, Buffer>();
  for (const [name, bytes] of encodeHash(meta, values)) {
    const old = stored.get(name);
    if (old !== undefined && (old.equals(bytes) || sameValue(meta, key, name, old, bytes))) continue;
    dirty.set(name, bytes);
  }
  return dirty;
}

/** Whether stored bytes decode to the value whose canonical bytes are `bytes`. */
const sameValue = (meta: ModelMeta, key: string, name: string, old: Buffer, bytes: Buffer): boolean => {
  try {
    return encodeValue(meta.fields.get(name) as FieldSpec, decodeValue(meta, key, name, old)).equals(bytes);
  } catch {
    // Stored bytes that do not decode: the new value replaces them.
    return false;
  }
};

/** Kinds whose entry names the old value (a set per value), or is removed when the value is null (geo). */
const VALUE_SET_KINDS = new Set(["key", "uniqueKey", "indexed", "unique", "relationship", "geo", "tag"]);

/**
 * The fields whose stored bytes a save of `changed` depends on, so the script checks exactly
 * those: a changed field kept in a set per value (its old member must be removed), and the
 * partition fields that name a sorted set the save writes to. A changed unpartitioned sorted
 * field needs no check (ZADD overwrites the member's score), nor does a plain field.
 * `undefined` means every indexed field: a key move (every entry changes key) or a ttl model
 * (its shadow must stay complete).
 */
export function dependentFields(meta: ModelMeta, changed: ReadonlySet<string>): string[] | undefined {
  if (meta.expiring || meta.keyFields.some((name) => changed.has(name))) return undefined;
  const checked = new Set<string>();
  for (const name of meta.indexedFields) {
    const spec = meta.fields.get(name) as FieldSpec;
    const sorted = spec.kind === "sorted" || spec.kind === "sortedKey";
    if (changed.has(name) && VALUE_SET_KINDS.has(spec.kind)) checked.add(name);
    if (!sorted) continue;
    if (spec.partitionBy.some((p) => changed.has(p))) {
      // The member moves to another partition's set: the old one is named by the stored values
      // (and, if the score did not change, the new entry's score comes from the stored value).
      checked.add(name);
      for (const p of spec.partitionBy) checked.add(p);
    } else if (changed.has(name)) for (const p of spec.partitionBy) checked.add(p);
  }
  // A composite index's set is named by all its fields: a change of one moves the instance from
  // the set the stored values name.
  for (const index of meta.compositeIndexes)
    if (index.fields.some((name) => changed.has(name))) for (const name of index.fields) checked.add(name);
  // Partition fields need not be indexed themselves: keep declaration order over all fields.
  return meta.fieldNames.filter((name) => checked.has(name));
}

/** The stored state the instance's save leaves, once it succeeded. */
export interface SaveOutcome {
  readonly key: string;
  /** The indexed fields' bytes (what a later write assumes). */
  readonly snapshot: Snapshot;
  /** Every field's bytes as now stored (what the next save compares against). */
  readonly stored: Map<string, Buffer>;
}

/**
 * A save of a loaded (or saved) instance: writes only the fields that changed, with the index
 * entries of those fields only, checking only the stored values those entries depend on. When
 * the instance is no longer stored (deleted or expired meanwhile) it becomes a full save that
 * recreates it. With `ifUnchanged`, every field must still hold the bytes this copy has.
 */
/** What a dirty save knows, kept so that queued saves of one row can be merged into one write. */
interface DirtySave {
  readonly meta: ModelMeta;
  readonly key: string;
  readonly values: ReadonlyMap<string, unknown>;
  readonly dirty: ReadonlyMap<string, Buffer>;
  readonly stored: ReadonlyMap<string, Buffer>;
  readonly expected: ReadonlyMap<string, Buffer | undefined>;
  /** Set by the write that carried this save: whether it recreated the row, and its key. */
  written?: { readonly full: boolean; readonly newKey: string };
}

const dirtySaves = new WeakMap<WriteIntent, DirtySave>();

/**
 * The content of a save of `dirty` (changed fields of `values`, the instance's full values) over
 * the stored state `assumed`: only the changed fields and their entries; the whole instance
 * when it is no longer stored (deleted or expired meanwhile).
 */
function dirtyContent(
  meta: ModelMeta,
  key: string,
  values: ReadonlyMap<string, unknown>,
  dirty: ReadonlyMap<string, Buffer>,
  assumed: Snapshot,
): { content: SaveContent; full: boolean } {
  if (assumed === null || shadowSnapshots.has(assumed)) {
    const newKey = computeKey(meta, values);
    const content = {
      newKey,
      hash: encodeHash(meta, values),
      newEntries: indexEntries(meta, newKey, values),
      unique: uniqueSets(meta, values, newKey),
    };
    return { content, full: true };
  }
  const merged = decodeSnapshot(meta, key, assumed);
  // Changed fields that are not indexed may still name entries (as partitions) or the key.
  for (const name of dirty.keys()) merged.set(name, values.get(name));
  const moves =
    meta.keyFields.some((name) => dirty.has(name)) ||
    (meta.shards > 1 && meta.shardBy !== undefined && dirty.has(meta.shardBy));
  const newKey = moves ? computeKey(meta, merged) : key;
  const content = {
    newKey,
    hash: [...dirty],
    newEntries: indexEntries(meta, newKey, merged),
    unique: uniqueSets(meta, merged, newKey, new Set(dirty.keys())),
  };
  return { content, full: false };
}

/** The state a dirty save leaves for its own copy, once the write that carried it succeeded. */
function outcomeOf(save: DirtySave): SaveOutcome {
  const written = save.written as { full: boolean; newKey: string };
  const after = written.full ? new Map(encodeHash(save.meta, save.values)) : new Map(save.stored);
  if (!written.full) for (const [name, bytes] of save.dirty) after.set(name, bytes);
  return { key: written.newKey, snapshot: snapshotOf(save.meta, after), stored: after };
}

export function dirtySaveIntent(
  meta: ModelMeta,
  key: string,
  values: ReadonlyMap<string, unknown>,
  stored: ReadonlyMap<string, Buffer>,
  snapshot: Snapshot,
  ifUnchanged: boolean,
): { intent: WriteIntent; outcome: () => SaveOutcome } {
  const dirty = dirtyFields(meta, key, values, stored);
  const checkFields = ifUnchanged ? meta.fieldNames : dependentFields(meta, new Set(dirty.keys()));
  const expected = new Map<string, Buffer | undefined>();
  for (const name of checkFields ?? meta.indexedFields)
    expected.set(name, ifUnchanged ? stored.get(name) : (snapshot?.get(name) ?? stored.get(name)));
  const save: DirtySave = { meta, key, values, dirty, stored, expected };
  const intent: WriteIntent = {
    meta,
    kind: ifUnchanged ? "update" : "upsert",
    oldKey: key,
    expected,
    checkFields,
    build: (assumed) => {
      const { content, full } = dirtyContent(meta, key, values, dirty, assumed);
      save.written = { full, newKey: content.newKey };
      return content;
    },
    ifUnchanged,
  };
  if (!ifUnchanged && checkFields !== undefined) dirtySaves.set(intent, save);
  return { intent, outcome: () => outcomeOf(save) };
}

/**
 * Whether a save can be merged with other saves of its row queued behind it: a dirty save that
 * neither moves the key nor belongs to a ttl model, and does not ask `ifUnchanged`.
 */
export const mergeableSave = (intent: WriteIntent): boolean => dirtySaves.has(intent);

/**
 * Successive saves of one row (mergeable, in queue order) as one write: the union of their
 * changed fields, a field changed by several taking the last one's value, as if they had run one
 * after the other. Once it succeeded, each save's own outcome is what it would have been alone.
 */
export function mergeDirtySaves(intents: readonly WriteIntent[]): WriteIntent {
  const saves = intents.map((intent) => dirtySaves.get(intent) as DirtySave);
  const first = saves[0] as DirtySave;
  const { meta, key } = first;
  const dirty = new Map<string, Buffer>();
  const values = new Map(first.values);
  for (const save of saves)
    for (const [name, bytes] of save.dirty) {
      dirty.delete(name); // keep the order of the last change
      dirty.set(name, bytes);
      values.set(name, save.values.get(name));
    }
  const checkFields = dependentFields(meta, new Set(dirty.keys())) ?? meta.indexedFields;
  const expected = new Map<string, Buffer | undefined>();
  for (const name of checkFields) expected.set(name, first.expected.get(name) ?? first.stored.get(name));
  return {
    meta,
    kind: "upsert",
    oldKey: key,
    expected,
    checkFields,
    build: (assumed) => {
      const { content, full } = dirtyContent(meta, key, values, dirty, assumed);
      for (const save of saves) save.written = { full, newKey: content.newKey };
      return content;
    },
  };
}
