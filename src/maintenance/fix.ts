/**
 * Repairs one batch of confirmed differences through the write script (one intent per instance,
 * checked against its stored state), then reads them again to count what changed.
 */
import { valuesFromKey, decodeSnapshot } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { executeBulk } from "../write/bulk.js";
import { indexEntries, type IndexEntry } from "../write/index-entries.js";
import type { WriteIntent } from "../write/plan-write.js";
import { expectedKeyType, isIndexHash } from "../keys/keys.js";
import { confirm } from "./confirm.js";
import { entryId, type Row } from "./rows.js";
import type { Tally } from "./tally.js";
import type { IndexDifference } from "./types.js";

/** The entry to remove for a stale or wrong-scored difference (ZREM needs no score: any will do). */
const staleEntry = (d: IndexDifference): IndexEntry =>
  isIndexHash(d.index)
    ? { kind: "h", key: d.index, member: d.member }
    : expectedKeyType(d.index) === "zset"
      ? { kind: "z", key: d.index, member: d.member, score: d.actual ?? 0 }
      : { kind: "s", key: d.index, member: d.member };

/** One intent per instance for the differences about it; undefined when there is nothing to do. */
function intentFor(
  meta: ModelMeta,
  instance: string,
  list: readonly IndexDifference[],
  row: Row | undefined,
  addMissing: boolean,
): WriteIntent | undefined {
  // A stale shadow (member "") is deleted by the purge itself.
  const stale = list
    .filter((d) => (d.kind === "stale" || d.kind === "score") && d.member !== "")
    .map(staleEntry);
  if (row === undefined || row.state === "gone")
    // The hash is gone: remove what names it, if it is still gone when the script runs.
    return {
      meta,
      kind: "purge",
      oldKey: instance,
      expected: null,
      fallbackEntries: indexEntries(meta, instance, valuesFromKey(meta, instance)),
      extraRemovals: stale,
    };
  if (row.state !== "ok") return undefined;
  const rescored = new Set(list.filter((d) => d.kind === "score").map((d) => entryId(d.index, d.member)));
  return {
    meta,
    kind: "save",
    oldKey: instance,
    expected: row.snapshot,
    extraRemovals: stale,
    // A repair writes no field: it (re-)adds the entries the stored state calls for (all of them
    // for rebuild, the rescored ones for clean) and removes the stale ones, all after the script
    // has checked the stored state is still the one the entries were computed from.
    rewriteEntries: true,
    // A repair is no save: the instance keeps the expiry it has (its own, or the model's).
    ...(meta.expiring ? { ttl: -1 } : {}),
    build: (assumed) => {
      const all =
        assumed === null ? [] : indexEntries(meta, instance, decodeSnapshot(meta, instance, assumed));
      return {
        newKey: instance,
        hash: [],
        newEntries: addMissing ? all : all.filter((e) => rescored.has(entryId(e.key, e.member))),
        unique: [],
      };
    },
  };
}

/**
 * Repairs `differences` (already confirmed) of the instances in `rows`, and adds to the tally what
 * changed, counted by reading the entries again: a difference that still holds was not fixed.
 * Returns the differences fixed.
 */
export async function fix(
  meta: ModelMeta,
  differences: readonly IndexDifference[],
  rows: ReadonlyMap<string, Row>,
  addMissing: boolean,
  batchSize: number,
  tally: Tally,
): Promise<IndexDifference[]> {
  const byInstance = new Map<string, IndexDifference[]>();
  for (const d of differences) {
    if (d.kind === "missing" && !addMissing) continue;
    const list = byInstance.get(d.instance) ?? [];
    list.push(d);
    byInstance.set(d.instance, list);
  }
  if (byInstance.size === 0) return [];
  const intents: WriteIntent[] = [];
  for (const [instance, list] of byInstance) {
    const intent = intentFor(meta, instance, list, rows.get(instance), addMissing);
    if (intent) intents.push(intent);
  }
  await executeBulk(intents, { batchSize });
  const acted = [...byInstance.values()].flat();
  const still = new Set(await confirm(meta, acted));
  const fixed = acted.filter((d) => !still.has(d));
  tally.removed += fixed.filter((d) => d.kind !== "missing" && d.member !== "").length;
  tally.added += fixed.filter((d) => d.kind === "missing").length;
  const unfixed = new Set([...still].map((d) => d.instance));
  for (const instance of byInstance.keys()) {
    const row = rows.get(instance);
    if ((row === undefined || row.state === "gone") && !unfixed.has(instance)) tally.purged++;
  }
  tally.unresolved += still.size;
  return fixed;
}
