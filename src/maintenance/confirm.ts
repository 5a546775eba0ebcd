/**
 * A difference seen during a scan can come from a write made meanwhile. Before a difference is
 * reported or repaired, the instances involved and the entries are read again together, in one
 * MULTI (no write falls between them), and only the differences that still hold are kept. On a
 * cluster every key of a model shares its `{Model}` hash tag, so the MULTI stays on one slot.
 */
import type { ModelMeta } from "../model/meta.js";
import { expectedKeyType, isIndexHash } from "../keys/keys.js";
import { splitHashMember } from "../write/index-entries.js";
import { classify, entryId, redis } from "./rows.js";
import type { IndexDifference } from "./types.js";

/** Scores differ beyond float noise. */
export const scoresDiffer = (actual: number, expected: number): boolean =>
  Math.abs(actual - expected) > 1e-9 * Math.max(1, Math.abs(expected));

/** The differences that still hold when read again, all at once. */
export async function confirm(
  meta: ModelMeta,
  differences: readonly IndexDifference[],
): Promise<IndexDifference[]> {
  if (differences.length === 0) return [];
  const instances = [...new Set(differences.map((d) => d.instance))];
  const transaction = redis().multi();
  for (const key of instances) transaction.hgetallBuffer(key);
  for (const d of differences) {
    // A shadow difference (member "") is about the shadow hash itself existing.
    if (d.member === "") transaction.exists(d.index);
    else if (isIndexHash(d.index)) transaction.hget(d.index, splitHashMember(d.member).field);
    else if (expectedKeyType(d.index) === "set") transaction.sismember(d.index, d.member);
    else transaction.zscore(d.index, d.member);
  }
  const replies = (await transaction.exec()) ?? [];
  const rows = new Map(
    instances.map((key, i) => {
      const [error, reply] = replies[i] ?? [null, null];
      return [key, classify(meta, key, error, reply)] as const;
    }),
  );
  return differences.filter((d, i) => {
    const [error, present] = replies[instances.length + i] ?? [null, null];
    // An index key of another type is reported as such, not as a difference.
    if (error) return false;
    const row = rows.get(d.instance);
    // A corrupt, misplaced or wrong-typed row's entries are neither stale nor missing.
    if (row === undefined || (row.state !== "ok" && row.state !== "gone")) return false;
    // A ttl shadow is stale while its instance is gone.
    if (d.member === "") return row.state === "gone" && present === 1;
    const wanted = row.state === "ok" ? row.entries.get(entryId(d.index, d.member)) : undefined;
    const hashEntry = d.member !== "" && isIndexHash(d.index);
    const score =
      !hashEntry && expectedKeyType(d.index) === "zset" && present !== null ? Number(present) : undefined;
    const inIndex = hashEntry
      ? present === splitHashMember(d.member).value
      : d.member === "" || expectedKeyType(d.index) === "set"
        ? present === 1
        : present !== null;
    if (d.kind === "missing") return wanted !== undefined && !inIndex;
    if (d.kind === "stale") return wanted === undefined && inIndex;
    return wanted?.kind === "z" && score !== undefined && scoresDiffer(score, wanted.score);
  });
}
