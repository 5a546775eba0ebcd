/**
 * Finishes deletes that a crash interrupted: every `$DeleteJournal:…` of a model (on every master
 * of a cluster) names a target whose delete sequence did not end; running that delete again reads
 * what remains and finishes it (src/model/delete-sequence.ts). Used by `npx popoto repair`.
 */
import { getConnection } from "../connection/connection.js";
import { scanMasters } from "../connection/masters.js";
import { ProtectedError } from "../errors.js";
import { bucketOfInstanceKey, deleteJournalPattern, journalTarget } from "../keys/keys.js";
import { deleteInSteps } from "./delete-sequence.js";
import type { ModelMeta } from "./meta.js";

/** What `resumeDeletes` did for one model. */
export interface ResumeReport {
  readonly model: string;
  /** Targets whose interrupted delete is now finished. */
  readonly resumed: readonly string[];
  /** Targets whose delete a protect referrer (written since) now refuses: abandoned, journal removed. */
  readonly refused: readonly { readonly key: string; readonly message: string }[];
}

/** Resumes every interrupted delete of instances of one model. */
export async function resumeDeletesOf(meta: ModelMeta): Promise<ResumeReport> {
  const targets: string[] = [];
  for await (const { keys } of scanMasters(getConnection(), deleteJournalPattern(meta)))
    targets.push(
      ...keys
        .map((key) => journalTarget(meta, key))
        // A sharded model's pattern matches every bucket tag of its name: keep its own keys.
        .filter((key) => meta.shards <= 1 || bucketOfInstanceKey(meta, key) !== undefined),
    );
  const resumed: string[] = [];
  const refused: { key: string; message: string }[] = [];
  // One at a time: a refusal of one must not stop the others.
  for (const key of [...new Set(targets)].sort()) {
    try {
      await deleteInSteps(meta, [{ meta, key }]);
      resumed.push(key);
    } catch (error) {
      if (!(error instanceof ProtectedError)) throw error;
      refused.push({ key, message: error.message });
    }
  }
  return { model: meta.name, resumed, refused };
}
