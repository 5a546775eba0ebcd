/**
 * `onDelete` as write intents: the delete of an instance a delete reaches (the target itself, or a
 * cascaded referrer) and the setNull of a referrer's relationship fields. Pure: what they write is
 * computed from the stored state the script checks.
 */
import { decodeSnapshot, encodeValue, valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { GuardChanged, isShadowSnapshot } from "./execute-write.js";
import { indexEntries } from "./index-entries.js";
import type { SaveContent, Snapshot, WriteIntent } from "./plan-write.js";

/**
 * A referrer whose hash is gone (expired, or deleted by another client): its leftovers are removed
 * (entries from the key itself), and nothing is brought back.
 */
const purgeIntent = (meta: ModelMeta, key: string): WriteIntent => ({
  meta,
  kind: "purge",
  oldKey: key,
  expected: null,
  fallbackEntries: indexEntries(meta, key, valuesFromKey(meta, key)),
});

/**
 * The delete of an instance with every index entry of its stored state. A target (what the caller
 * asked to delete) is deleted whatever it holds now; a cascaded referrer only in the state it was
 * read in (`ifUnchanged`): if it changed, it may no longer point at the target, so the delete is
 * planned again from what is stored.
 */
export const deleteIntent = (
  meta: ModelMeta,
  key: string,
  expected: Snapshot,
  target: boolean,
): WriteIntent => {
  if (target) return { meta, kind: "delete", oldKey: key, expected };
  if (expected === null) return purgeIntent(meta, key);
  return { meta, kind: "delete", oldKey: key, expected, ifUnchanged: true };
};

/**
 * A setNull: clears relationship fields of a referrer of deleted targets (a single relationship
 * becomes null; a many-relationship loses those targets), written as a partial save from the
 * referrer's stored state so its other fields are not touched. Only onto the state it was read in
 * (`ifUnchanged`), for the same reason as a cascaded delete.
 */
export const setNullIntent = (
  meta: ModelMeta,
  key: string,
  clears: ReadonlyMap<string, ReadonlySet<string>>,
  expected: Snapshot,
): WriteIntent => {
  if (expected === null) return purgeIntent(meta, key);
  return {
    meta,
    kind: "update",
    oldKey: key,
    expected,
    ifUnchanged: true,
    build: (assumed): SaveContent => {
      // The referrer expired (or was deleted) since its state was read: plan the whole delete again.
      if (assumed === null || isShadowSnapshot(assumed)) throw new GuardChanged(0, key);
      const values = decodeSnapshot(meta, key, assumed);
      const hash: [string, Buffer][] = [];
      for (const [field, targets] of clears) {
        const spec = meta.fields.get(field);
        if (!spec) continue;
        const current = values.get(field);
        const next =
          spec.many && Array.isArray(current) ? current.filter((k) => !targets.has(String(k))) : null;
        values.set(field, next);
        hash.push([field, encodeValue(spec, next)]);
      }
      return { newKey: key, hash, newEntries: indexEntries(meta, key, values), unique: [] };
    },
  };
};
