import { getConnection } from "../connection/connection.js";
import { readSnapshots } from "../write/bulk.js";
import { PopotoError, ProtectedError } from "../errors.js";
import { relationshipSet } from "../keys/keys.js";
import { executeWrites, GuardChanged } from "../write/execute-write.js";
import { indexEntries } from "../write/index-entries.js";
import type { Guard, SaveContent, Snapshot, WriteIntent } from "../write/plan-write.js";
import { decodeSnapshot, encodeValue } from "./hash.js";
import type { ModelMeta } from "./meta.js";
import { incomingRelationships } from "./targets.js";

/**
 * A partial save that clears one relationship field (or removes one target from a many-relationship)
 * of a referrer, computed from the referrer's stored state so its other fields are not touched.
 */
const clearIntent = (
  meta: ModelMeta,
  key: string,
  field: string,
  target: string,
  expected: Snapshot,
): WriteIntent => ({
  meta,
  kind: "save",
  oldKey: key,
  expected,
  build: (assumed): SaveContent => {
    const values = decodeSnapshot(meta, key, assumed);
    const spec = meta.fields.get(field);
    const current = values.get(field);
    const next = spec?.many && Array.isArray(current) ? current.filter((k) => k !== target) : null;
    values.set(field, next);
    return {
      newKey: key,
      hash: [[field, encodeValue(spec as NonNullable<typeof spec>, next)]],
      newEntries: indexEntries(meta, key, values),
      unique: [],
    };
  },
});

/**
 * Plans the delete of one instance together with what its incoming relationships' `onDelete`
 * asks for: every cascade (recursively), every cleared field, and guards on the reverse sets so
 * the script refuses to run if a referrer was added or removed since they were read.
 */
async function planDelete(
  meta: ModelMeta,
  key: string,
  expected: Snapshot,
): Promise<{ intents: WriteIntent[]; guards: Guard[] }> {
  const intents: WriteIntent[] = [{ meta, kind: "delete", oldKey: key, expected }];
  const guards: Guard[] = [];
  const deleted = new Set([key]);
  const visit = async (targetMeta: ModelMeta, targetKey: string): Promise<void> => {
    for (const incoming of incomingRelationships(targetMeta.name)) {
      const action = incoming.spec.onDelete;
      if (action === "nothing") continue;
      const setKey = relationshipSet(incoming.model.meta, incoming.field, targetKey);
      const members = (await getConnection().smembers(setKey)).filter((m) => !deleted.has(m));
      if (action === "protect") {
        if (members.length > 0)
          throw new ProtectedError(meta.name, key, incoming.model.meta.name, incoming.field, members);
        guards.push({ key: setKey, members: [] });
        continue;
      }
      guards.push({ key: setKey, members: await getConnection().smembers(setKey) });
      const snapshots = await readSnapshots(incoming.model.meta, members);
      for (const [i, member] of members.entries()) {
        if (action === "cascade") {
          deleted.add(member);
          intents.push({
            meta: incoming.model.meta,
            kind: "delete",
            oldKey: member,
            expected: snapshots[i] ?? null,
          });
          await visit(incoming.model.meta, member);
        } else {
          intents.push(
            clearIntent(incoming.model.meta, member, incoming.field, targetKey, snapshots[i] ?? null),
          );
        }
      }
    }
  };
  await visit(meta, key);
  return { intents, guards };
}

/** True when deleting instances of this model can affect other instances (some onDelete is not "nothing"). */
export const hasDeleteActions = (meta: ModelMeta): boolean =>
  incomingRelationships(meta.name).some((r) => r.spec.onDelete !== "nothing");

/**
 * Deletes an instance and applies `onDelete` of every relationship pointing at it, all in one
 * atomic write. Returns whether the instance existed.
 */
export async function deleteWithActions(meta: ModelMeta, key: string, expected: Snapshot): Promise<boolean> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const { intents, guards } = await planDelete(meta, key, expected);
    try {
      const [existed] = await executeWrites(intents, guards);
      return existed === true;
    } catch (error) {
      // A referrer appeared or went between reading and writing: plan again from what is stored now.
      if (error instanceof GuardChanged) continue;
      throw error;
    }
  }
  throw new PopotoError(
    "CONCURRENT_MODIFICATION",
    `${meta.name}: referrers of ${key} kept changing; nothing was deleted. Retry.`,
    {
      model: meta.name,
    },
  );
}
