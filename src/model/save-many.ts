import { executeBulk, type BulkOptions } from "../write/bulk.js";
import type { PreparedSave } from "./prepare-save.js";

/**
 * Saves many prepared instances: every instance is validated before anything is written, then
 * written in batches of one pipeline each, every instance atomically with its index entries.
 */
export async function saveMany(
  prepare: () => Promise<(PreparedSave | undefined)[]>,
  options: BulkOptions = {},
): Promise<number> {
  const prepared = (await prepare()).filter((p): p is PreparedSave => p !== undefined);
  await executeBulk(
    prepared.map((p) => p.intent),
    options,
  );
  for (const p of prepared) p.commit();
  return prepared.length;
}
