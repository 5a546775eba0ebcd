/**
 * Stream replies (XRANGE, XREADGROUP, XAUTOCLAIM) as read with `callBuffer`, so field values
 * stay the bytes the write script stored.
 */

/** One stream entry: its id, and its field/value list (null: the entry was trimmed or deleted). */
export interface RawEntry {
  readonly id: string;
  readonly fields: readonly Buffer[] | null;
}

const entryOf = (item: unknown): RawEntry => {
  const [id, fields] = item as [Buffer, Buffer[] | null];
  return { id: id.toString(), fields: Array.isArray(fields) ? fields : null };
};

/** XRANGE: `[[id, fields], …]`. */
export const rangeEntries = (reply: unknown): RawEntry[] => (Array.isArray(reply) ? reply.map(entryOf) : []);

/** XREADGROUP of several streams: `[[key, [[id, fields], …]], …]` as entries by stream key (null: nothing came). */
export const streamEntries = (reply: unknown): Map<string, RawEntry[]> => {
  const found = new Map<string, RawEntry[]>();
  if (!Array.isArray(reply)) return found;
  for (const item of reply) {
    const [key, entries] = item as [Buffer, unknown[]];
    found.set(key.toString(), Array.isArray(entries) ? entries.map(entryOf) : []);
  }
  return found;
};

/** XAUTOCLAIM: `[next cursor, [[id, fields], …], [deleted ids]]` (Redis 7). */
export const claimedEntries = (reply: unknown): { cursor: string; entries: RawEntry[] } => {
  const [cursor, entries] = reply as [Buffer, unknown[]];
  return { cursor: cursor.toString(), entries: Array.isArray(entries) ? entries.map(entryOf) : [] };
};
