import { getConnection } from "../connection/connection.js";
import { readSnapshots } from "../write/bulk.js";
import { PopotoError, ProtectedError } from "../errors.js";
import { relationshipSet } from "../keys/keys.js";
import { executeWrites, GuardChanged, isShadowSnapshot } from "../write/execute-write.js";
import { indexEntries } from "../write/index-entries.js";
import type { Guard, SaveContent, Snapshot, WriteIntent } from "../write/plan-write.js";
import { decodeSnapshot, encodeValue, valuesFromKey } from "./hash.js";
import type { ModelMeta } from "./meta.js";
import { incomingRelationships } from "./targets.js";

/**
 * A partial save that clears one relationship field (or removes one target from a many-relationship)
 * of a referrer, computed from the referrer's stored state so its other fields are not touched.
 */
const clearIntent = (
  meta: ModelMeta,
  key: string,
  clears: ReadonlyMap<string, ReadonlySet<string>>,
  expected: Snapshot,
): WriteIntent => ({
  meta,
  kind: "update",
  oldKey: key,
  expected,
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
});

/** What one delete does to one referrer: deleted, or some relationship fields cleared of some targets. */
interface ReferrerPlan {
  readonly meta: ModelMeta;
  expected: Snapshot;
  deleted: boolean;
  readonly clears: Map<string, Set<string>>;
}

/**
 * Plans the delete of one instance together with what its incoming relationships' `onDelete`
 * asks for: every cascade (recursively), every cleared field, and guards on the reverse sets so
 * the script refuses to run if a referrer was added or removed since they were read. A referrer
 * reached several ways gets one write: a delete wins over clears, and its clears are merged.
 */
async function planDelete(
  meta: ModelMeta,
  key: string,
  expected: Snapshot,
): Promise<{ intents: WriteIntent[]; guards: Guard[] }> {
  const referrers = new Map<string, ReferrerPlan>([
    [key, { meta, expected, deleted: true, clears: new Map() }],
  ]);
  const guards: Guard[] = [];
  const visit = async (targetMeta: ModelMeta, targetKey: string): Promise<void> => {
    for (const incoming of incomingRelationships(targetMeta.name)) {
      const action = incoming.spec.onDelete;
      if (action === "nothing") continue;
      const setKey = relationshipSet(incoming.model.meta, incoming.field, targetKey);
      const all = await getConnection().smembers(setKey);
      const members = all.filter((m) => referrers.get(m)?.deleted !== true);
      if (action === "protect") {
        if (members.length > 0)
          throw new ProtectedError(meta.name, key, incoming.model.meta.name, incoming.field, members);
        guards.push({ key: setKey, members: [] });
        continue;
      }
      guards.push({ key: setKey, members: all });
      const fresh = members.filter((m) => !referrers.has(m));
      const snapshots = await readSnapshots(incoming.model.meta, fresh);
      fresh.forEach((m, i) =>
        referrers.set(m, {
          meta: incoming.model.meta,
          expected: snapshots[i] ?? null,
          deleted: false,
          clears: new Map(),
        }),
      );
      for (const member of members) {
        const plan = referrers.get(member) as ReferrerPlan;
        if (action === "cascade") {
          plan.deleted = true;
          plan.clears.clear();
          await visit(incoming.model.meta, member);
        } else {
          const targets = plan.clears.get(incoming.field) ?? new Set<string>();
          targets.add(targetKey);
          plan.clears.set(incoming.field, targets);
        }
      }
    }
  };
  await visit(meta, key);
  const intents = [...referrers].map(([member, plan]): WriteIntent => {
    if (plan.deleted) return { meta: plan.meta, kind: "delete", oldKey: member, expected: plan.expected };
    // A referrer whose hash is gone (expired) is not brought back by clearing its field: its
    // leftovers are removed instead.
    if (plan.expected === null)
      return {
        meta: plan.meta,
        kind: "purge",
        oldKey: member,
        expected: null,
        fallbackEntries: indexEntries(plan.meta, member, valuesFromKey(plan.meta, member)),
      };
    return clearIntent(plan.meta, member, plan.clears, plan.expected);
  });
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
