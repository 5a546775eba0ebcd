import type { Snapshot } from "../write/plan-write.js";
import { deleteInSteps } from "./delete-sequence.js";
import type { ModelMeta } from "./meta.js";
import { incomingRelationships } from "./targets.js";

/** True when deleting instances of this model can affect other instances (some onDelete is not "nothing"). */
export const hasDeleteActions = (meta: ModelMeta): boolean =>
  incomingRelationships(meta.name).some((r) => r.spec.onDelete !== "nothing");

/**
 * Deletes an instance and applies `onDelete` of every relationship pointing at it, in the ordered,
 * bounded, per-slot steps of src/model/delete-sequence.ts (one atomic script when it fits in one).
 * Returns whether the instance existed.
 */
export async function deleteWithActions(meta: ModelMeta, key: string, expected: Snapshot): Promise<boolean> {
  const [existed] = await deleteInSteps(meta, [{ meta, key, expected }]);
  return existed === true;
}
