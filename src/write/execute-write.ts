import { getConnection } from "../connection/connection.js";
import { ConcurrentModificationError, KeyConflictError, UniqueViolationError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { KeyType } from "../fields/field-type.js";
import { indexValuesHash, keyFieldSet, valuePart } from "../keys/keys.js";
import { decodeSnapshot, encodeHash, snapshotOf, valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { computeKey } from "../model/values.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { indexEntries } from "./index-entries.js";
import { planDelete, planSave, type Snapshot } from "./plan-write.js";

/** How often a write is planned again after the stored state moved under it. */
const MAX_ATTEMPTS = 8;

const text = (reply: ScriptReply | undefined): string =>
  Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);

/** The stored state a STALE reply carries: `null` when nothing is stored. */
const snapshotFromStale = (meta: ModelMeta, reply: ScriptReply[]): Snapshot => {
  if (text(reply[1]) === "") return null;
  return new Map(
    meta.indexedFields.map((name, i) => {
      const bytes = reply[i + 2];
      return [name, Buffer.isBuffer(bytes) && bytes.length > 0 ? bytes : undefined];
    }),
  );
};

const entriesOf = (meta: ModelMeta, key: string, snapshot: Snapshot) =>
  snapshot === null ? [] : indexEntries(meta, key, decodeSnapshot(meta, key, snapshot));

export interface SaveResult {
  readonly key: string;
  readonly snapshot: Snapshot;
}

/**
 * Saves canonical `values` atomically: the hash and every index entry, moving the instance when
 * its key changed. `pk` is where the instance is stored now (undefined for a new instance);
 * `expected` is the stored state it was loaded with, a guess that `write.lua` verifies.
 */
export async function saveInstance(
  meta: ModelMeta,
  values: ReadonlyMap<string, unknown>,
  pk: string | undefined,
  expected: Snapshot | undefined,
): Promise<SaveResult> {
  const redis = getConnection();
  const newKey = computeKey(meta, values);
  const oldKey = pk ?? newKey;
  const hash = encodeHash(meta, values);
  const newEntries = indexEntries(meta, newKey, values);
  const unique = meta.keyFields
    .filter((name) => meta.fields.get(name)?.kind === "uniqueKey")
    .map((name) => {
      const spec = meta.fields.get(name) as FieldSpec;
      return [
        name,
        keyFieldSet(meta, name, valuePart(spec.type as KeyType, values.get(name)), true),
      ] as const;
    });
  let assumed: Snapshot = expected ?? null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const call = planSave({
      meta,
      oldKey,
      newKey,
      expected: assumed,
      oldEntries: entriesOf(meta, oldKey, assumed),
      newEntries,
      hash,
      unique,
    });
    const reply = (await runScript(redis, scripts.write, call.keys, call.args)) as ScriptReply[];
    switch (text(reply[0])) {
      case "OK":
        return { key: newKey, snapshot: snapshotOf(meta, new Map(hash)) };
      case "STALE":
        assumed = snapshotFromStale(meta, reply);
        break;
      case "UNIQUE": {
        const field = call.uniqueFields[Number(reply[1]) - 1] as string;
        const holder = text(reply[2]);
        // A holder whose hash expired is a leftover, not an owner: clean it and try again.
        if ((await redis.exists(holder)) === 0 && (await purgeKey(meta, holder))) break;
        throw new UniqueViolationError(meta.name, field, values.get(field), holder);
      }
      case "CONFLICT":
        throw new KeyConflictError(meta.name, oldKey, newKey);
      case "PURGE":
        await purgeKey(meta, newKey);
        break;
      default:
        throw new Error(`popoto: unexpected reply from write.lua: ${text(reply[0])}`);
    }
  }
  throw new ConcurrentModificationError(meta.name, oldKey, MAX_ATTEMPTS);
}

/** Deletes the instance at `key` and every index entry of its stored values; true if it existed. */
export async function deleteInstance(
  meta: ModelMeta,
  key: string,
  expected: Snapshot | undefined,
): Promise<boolean> {
  const redis = getConnection();
  let assumed: Snapshot = expected ?? null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const call = planDelete({ meta, key, expected: assumed, oldEntries: entriesOf(meta, key, assumed) });
    const reply = (await runScript(redis, scripts.write, call.keys, call.args)) as ScriptReply[];
    const status = text(reply[0]);
    if (status === "OK") return reply[1] === 1;
    if (status !== "STALE") throw new Error(`popoto: unexpected reply from write.lua: ${status}`);
    assumed = snapshotFromStale(meta, reply);
  }
  throw new ConcurrentModificationError(meta.name, key, MAX_ATTEMPTS);
}

/**
 * Removes the index entries left by an instance whose hash is gone (expired by its ttl, or deleted
 * by a client that does not keep popoto's indexes). Entries come from the ttl shadow when there is
 * one, else from what the key itself says (class set, key-field sets). Returns true when it ran.
 */
export async function purgeKey(meta: ModelMeta, key: string): Promise<boolean> {
  const redis = getConnection();
  let shadow: Snapshot = null;
  if (meta.ttl !== undefined) {
    const flat = (await redis.hgetallBuffer(indexValuesHash(meta, key))) as unknown as Record<string, Buffer>;
    const stored = new Map(Object.entries(flat));
    if (stored.size > 0) shadow = snapshotOf(meta, stored);
  }
  const oldEntries =
    shadow === null ? indexEntries(meta, key, valuesFromKey(meta, key)) : entriesOf(meta, key, shadow);
  const call = planDelete({ meta, key, expected: shadow, oldEntries, purge: true });
  const reply = (await runScript(redis, scripts.write, call.keys, call.args)) as ScriptReply[];
  return text(reply[0]) === "OK";
}
