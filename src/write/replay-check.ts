/**
 * After a lost reply, popoto sends the same write again; when the script then finds a stored state
 * other than the one it planned from (STALE), the first send may have run. `appliedAlready`
 * (execute-write.ts) compares the fields the script reports (the indexed ones); this compares the
 * whole hash the write produces, byte for byte, so a create never takes another writer's
 * instance (same key and index values, other bytes) for its own. One extra read, only after a
 * lost reply. Nothing is stored for the check: the instance's own bytes are the evidence.
 */
import { wrapRedisError, getConnection } from "../connection/connection.js";
import type { SaveContent } from "./plan-write.js";

/**
 * Whether the hash at `content.newKey` holds every field `content` writes with exactly its
 * bytes; for a create (`whole`), also no field besides them.
 */
export async function storedAsWritten(content: SaveContent, whole: boolean): Promise<boolean> {
  let stored: Record<string, Buffer>;
  try {
    stored = (await getConnection().hgetallBuffer(content.newKey)) as unknown as Record<string, Buffer>;
  } catch (error) {
    throw wrapRedisError(error, [content.newKey]);
  }
  if (whole && Object.keys(stored).length !== content.hash.length) return false;
  return content.hash.every(([name, bytes]) => stored[name]?.equals(bytes) === true);
}
