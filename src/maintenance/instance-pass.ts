/**
 * Pass over the instances: for each batch of instance keys (one SCAN step), read the hashes in one
 * pipeline and check that every entry they call for is in its index with the right score, with one
 * SMISMEMBER / ZMSCORE per index key of the batch. Finds missing entries, wrong scores, corrupt
 * and misplaced rows, and instance keys of another Redis type. Holds one batch at a time.
 */
import type { ModelMeta } from "../model/meta.js";
import { indexEntries, splitHashMember, type IndexEntry } from "../write/index-entries.js";
import { valuesFromKey } from "../model/hash.js";
import { confirm, scoresDiffer } from "./confirm.js";
import { fix } from "./fix.js";
import { moveKey } from "./move-keys.js";
import type { LargeKeys } from "./large-keys.js";
import { entryId, isWrongType, readRows, redis, type Row } from "./rows.js";
import type { Tally } from "./tally.js";
import type { CorruptAction, IndexDifference } from "./types.js";
import { instanceKeys, type WalkProgress } from "./walk.js";

export interface PassOptions {
  readonly batchSize: number;
  /** Check only (undefined), or repair: clean (`addMissing` false) or rebuild. */
  readonly repair?: { readonly addMissing: boolean; readonly corrupt: CorruptAction } | undefined;
  readonly progress?: WalkProgress | undefined;
}

/**
 * The entries of one batch's healthy rows that are not in their index (or have another score).
 * Entries found in large structures are counted there (see large-keys.ts), damaged rows' too.
 */
async function missingEntries(rows: ReadonlyMap<string, Row>, large: LargeKeys): Promise<IndexDifference[]> {
  const byIndex = new Map<string, { instance: string; entry: IndexEntry; countOnly: boolean }[]>();
  const add = (instance: string, entry: IndexEntry, countOnly: boolean): void => {
    const list = byIndex.get(entry.key) ?? [];
    list.push({ instance, entry, countOnly });
    byIndex.set(entry.key, list);
  };
  for (const [instance, row] of rows) {
    if (row.state === "ok") for (const entry of row.entries.values()) add(instance, entry, false);
    else if (row.state === "corrupt" || row.state === "misplaced") {
      const seen = new Set<string>();
      for (const entry of row.partial)
        if (large.has(entry.key) && !seen.has(entryId(entry.key, entry.member))) {
          seen.add(entryId(entry.key, entry.member));
          add(instance, entry, true);
        }
    }
  }
  const indexes = [...byIndex];
  const pipeline = redis().pipeline();
  for (const [index, list] of indexes) {
    const members = list.map(({ entry }) => entry.member);
    const kind = list[0]?.entry.kind;
    if (kind === "s") pipeline.smismember(index, ...members);
    else if (kind === "h") pipeline.hmget(index, ...members.map((member) => splitHashMember(member).field));
    else pipeline.zmscore(index, ...members);
  }
  const replies = (await pipeline.exec()) ?? [];
  const differences: IndexDifference[] = [];
  indexes.forEach(([index, list], i) => {
    const [error, reply] = replies[i] ?? [null, null];
    // An index key of another type is reported by the index pass, by name.
    if (isWrongType(error)) return;
    if (error) throw error;
    const answers = reply as (number | string | null)[];
    list.forEach(({ instance, entry, countOnly }, j) => {
      const answer = answers[j];
      // A hash entry is present when its field names this instance.
      const present =
        entry.kind === "h"
          ? answer === splitHashMember(entry.member).value
          : answer !== 0 && answer !== null && answer !== undefined;
      if (present) large.count(index);
      if (countOnly) return;
      const base = { index, member: entry.member, instance };
      if (!present)
        differences.push({
          kind: "missing",
          ...base,
          expected: entry.kind === "z" ? entry.score : undefined,
        });
      else if (entry.kind === "z" && scoresDiffer(Number(answer), entry.score))
        differences.push({ kind: "score", ...base, expected: entry.score, actual: Number(answer) });
      // A geo score is a geohash of the point: compared by membership only.
    });
  });
  return differences;
}

/** Reports (and with a repair, quarantines or deletes) the damaged rows of a batch. */
async function damagedRows(
  meta: ModelMeta,
  rows: ReadonlyMap<string, Row>,
  tally: Tally,
  options: PassOptions,
): Promise<string[]> {
  const action = options.repair?.corrupt ?? "report";
  const wrongTyped = [...rows].filter(([, row]) => row.state === "wrongType").map(([key]) => key);
  const types = new Map<string, string>();
  if (wrongTyped.length > 0) {
    const pipeline = redis().pipeline();
    for (const key of wrongTyped) pipeline.type(key);
    const replies = (await pipeline.exec()) ?? [];
    wrongTyped.forEach((key, i) => types.set(key, String(replies[i]?.[1] ?? "none")));
  }
  const moved: string[] = [];
  for (const [key, row] of rows) {
    if (row.state === "misplaced") tally.misplaced.add(key);
    if (row.state !== "corrupt" && row.state !== "wrongType") continue;
    const actual = types.get(key) ?? "hash";
    if (row.state === "corrupt") tally.corrupt.add({ key, field: row.field, message: row.message });
    else if (actual === "none")
      continue; // gone meanwhile
    else tally.wrongType.add({ key, actual, expected: "hash" });
    if (action === "report") {
      tally.damagedLeft++;
      continue;
    }
    const damage =
      row.state === "corrupt"
        ? ({ check: "field", field: row.field, bytes: row.bytes } as const)
        : ({ check: "type", type: actual } as const);
    if (await moveKey(key, action, damage)) {
      (action === "quarantine" ? tally.quarantined : tally.deleted).add(key);
      moved.push(key);
    } else tally.damagedLeft++;
  }
  return moved;
}

/**
 * Removes the entries a moved (quarantined or deleted) row's key and decodable fields name, at
 * once: counted like any stale entry. An entry of its undecodable field cannot be named; the
 * index pass that follows a repair that moved rows finds it.
 */
async function purgeMoved(
  meta: ModelMeta,
  moved: readonly string[],
  rows: ReadonlyMap<string, Row>,
  tally: Tally,
  options: PassOptions,
): Promise<void> {
  const found = new Map<string, IndexDifference>();
  for (const instance of moved) {
    const row = rows.get(instance);
    const partial = row?.state === "corrupt" || row?.state === "misplaced" ? row.partial : [];
    for (const entry of [...indexEntries(meta, instance, valuesFromKey(meta, instance)), ...partial])
      found.set(entryId(entry.key, entry.member), {
        kind: "stale",
        index: entry.key,
        member: entry.member,
        instance,
      });
  }
  const confirmed = await confirm(meta, [...found.values()]);
  await fix(meta, confirmed, new Map(), false, options.batchSize, tally);
}

/**
 * Checks (or repairs) every instance of the model, batch by batch; returns how many damaged keys
 * it moved (their index entries are then stale, for another index pass to remove).
 */
export async function instancePass(
  model: ModelMeta,
  tally: Tally,
  options: PassOptions,
  large: LargeKeys,
): Promise<number> {
  let moved = 0;
  for await (const groups of instanceKeys(model, options.batchSize, options.progress))
    for (const { meta, keys } of groups) moved += await instanceBatch(meta, keys, tally, options, large);
  return moved;
}

/**
 * Checks (or repairs) one batch of instance keys of one slot (the model's, or one bucket's of a
 * sharded model); returns how many damaged keys it moved. Also the step of `migrate()`, which
 * walks the class set (src/schema/migrate.ts).
 */
export async function instanceBatch(
  meta: ModelMeta,
  keys: readonly string[],
  tally: Tally,
  options: PassOptions,
  large: LargeKeys,
): Promise<number> {
  if (keys.length === 0) return 0;
  let moved = 0;
  const rows = await readRows(meta, keys);
  let entries = 0;
  for (const row of rows.values()) {
    if (row.state !== "ok") continue;
    tally.instances++;
    entries += row.entries.size;
  }
  const gone = await damagedRows(meta, rows, tally, options);
  if (gone.length > 0) {
    moved += gone.length;
    await purgeMoved(meta, gone, rows, tally, options);
    for (const key of gone) rows.set(key, { state: "gone" });
  }
  const found = await missingEntries(rows, large);
  tally.hold(keys.length + entries + found.length);
  const confirmed = await confirm(meta, found);
  if (options.repair === undefined) for (const d of confirmed) tally.addDifference(d);
  else {
    const fixed = await fix(meta, confirmed, rows, options.repair.addMissing, options.batchSize, tally);
    // An entry added to a large structure is in it now: count it, as if found there.
    for (const d of fixed) if (d.kind === "missing") large.count(d.index);
  }
  return moved;
}
