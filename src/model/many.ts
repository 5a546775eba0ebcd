import { executeWrites, isShadowSnapshot } from "../write/execute-write.js";
import { deletedMeanwhile } from "./partial.js";
import { indexEntries } from "../write/index-entries.js";
import type { Snapshot } from "../write/plan-write.js";
import { decodeSnapshot, encodeValue } from "./hash.js";
import type { ModelMeta } from "./meta.js";

/**
 * Adds or removes targets of a many-relationship as a partial save: the new list is computed from
 * the list Redis holds (re-read by the script's check on every attempt), so a concurrent change
 * by another process is merged, not overwritten. Only that field and its reverse sets are written.
 */
export async function changeManyRelationship(
  meta: ModelMeta,
  key: string,
  expected: Snapshot,
  field: string,
  targets: readonly string[],
  add: boolean,
): Promise<{ snapshot: Snapshot; list: string[] }> {
  const spec = meta.fields.get(field);
  if (!spec) throw new Error(`popoto: no field ${field}`);
  let written: { snapshot: Map<string, Buffer | undefined>; list: string[] } | undefined;
  await executeWrites([
    {
      meta,
      kind: "update",
      oldKey: key,
      expected,
      build: (assumed) => {
        if (assumed === null || isShadowSnapshot(assumed)) throw deletedMeanwhile(meta, key);
        const values = decodeSnapshot(meta, key, assumed);
        const current = Array.isArray(values.get(field)) ? (values.get(field) as string[]) : [];
        const list = add
          ? [...current, ...targets.filter((t) => !current.includes(t))]
          : current.filter((t) => !targets.includes(t));
        values.set(field, list);
        const bytes = encodeValue(spec, list);
        const snapshot = new Map(assumed ?? []);
        snapshot.set(field, bytes);
        written = { snapshot, list };
        return {
          newKey: key,
          hash: [[field, bytes]],
          newEntries: indexEntries(meta, key, values),
          unique: [],
        };
      },
    },
  ]);
  if (!written) throw new Error("popoto: relationship change was not planned");
  return written;
}
