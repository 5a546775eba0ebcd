/**
 * Quarantining or deleting damaged keys: corrupt rows, instance keys of another Redis type, and
 * index keys of another type (which are not popoto's index, so deleting them lets rebuild restore
 * it). Each move is one `move-key.lua` call that first checks the key is still damaged as found.
 */
import { getConnection } from "../connection/connection.js";
import { quarantineKey } from "../keys/keys.js";
import { runScript } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import type { CorruptAction } from "./types.js";

/** How the key was found damaged: a field's bytes, or its Redis type. */
export type Damage =
  | { readonly check: "field"; readonly field: string; readonly bytes: Buffer }
  | { readonly check: "type"; readonly type: string };

/** Moves `key` to `$Quarantine:<key>` or deletes it, if still damaged as found; true when it did. */
export async function moveKey(
  key: string,
  action: Exclude<CorruptAction, "report">,
  damage: Damage,
): Promise<boolean> {
  const keys = action === "quarantine" ? [key, quarantineKey(key)] : [key];
  const evidence = damage.check === "field" ? ["field", damage.field, damage.bytes] : ["type", damage.type];
  return (await runScript(getConnection(), scripts.moveKey, keys, [action, ...evidence])) === 1;
}
