import { queuedRelated } from "../write/coalesce.js";
import type { Snapshot } from "../write/plan-write.js";
import { decodeValue } from "./hash.js";
import type { ModelMeta } from "./meta.js";

/**
 * Adds or removes targets of a many-relationship: `commute.lua` merges them into the list Redis
 * holds and updates the reverse sets in the same script, so concurrent changes by any number of
 * writers all take effect and none is retried. Only that field and its reverse sets are written.
 */
export async function changeManyRelationship(
  meta: ModelMeta,
  key: string,
  expected: Snapshot,
  field: string,
  targets: readonly string[],
  add: boolean,
): Promise<{ snapshot: Snapshot; list: string[]; bytes: Buffer }> {
  const bytes = await queuedRelated(meta, key, field, add ? "add" : "remove", targets);
  const list = decodeValue(meta, key, field, bytes) as string[];
  const snapshot = expected === null ? null : new Map(expected);
  snapshot?.set(field, bytes);
  return { snapshot, list, bytes };
}
