/**
 * The index tools: `checkIndexes`, `cleanIndexes`, `rebuildIndexes`. Each streams: an index pass
 * (src/maintenance/index-pass.ts) and an instance pass (instance-pass.ts), each reading one batch
 * at a time with SCAN / SSCAN / ZSCAN and pipelines, so memory follows the batch size, not the
 * database. Every difference is confirmed by reading it again before it is reported or repaired,
 * and every repair is counted by reading again after it. Storage: docs/storage.md.
 */
import { wrapRedisError } from "../connection/connection.js";
import type { ModelMeta } from "../model/meta.js";
import { storedLayoutOf } from "../shards/tool-layout.js";
import { indexPass, largeKeysPass } from "./index-pass.js";
import { LargeKeys, LARGE_KEYS_CAP } from "./large-keys.js";
import { instancePass, type PassOptions } from "./instance-pass.js";
import { Tally } from "./tally.js";
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_LISTED,
  type IndexReport,
  type MaintenanceOptions,
  type RepairOptions,
  type RepairResult,
} from "./types.js";

export type {
  CorruptAction,
  CorruptRow,
  IndexCounts,
  IndexDifference,
  IndexReport,
  MaintenanceOptions,
  MaintenanceProgress,
  RepairOptions,
  RepairResult,
  WrongTypeKey,
} from "./types.js";
export { DEFAULT_BATCH_SIZE, DEFAULT_MAX_LISTED } from "./types.js";

/** Runs a maintenance task, turning Redis failures into PopotoErrors. */
const withRedisErrors = async <T>(task: () => Promise<T>): Promise<T> => {
  try {
    return await task();
  } catch (error) {
    throw wrapRedisError(error);
  }
};

const settings = (options: MaintenanceOptions): { batchSize: number; tally: Tally } => ({
  batchSize: Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE)),
  tally: new Tally(Math.max(0, Math.floor(options.maxListed ?? DEFAULT_MAX_LISTED))),
});

const progressOf =
  (options: MaintenanceOptions, phase: string): PassOptions["progress"] =>
  (done, total) =>
    options.onProgress?.(phase, done, total);

async function check(meta: ModelMeta, options: MaintenanceOptions): Promise<IndexReport> {
  const { batchSize, tally } = settings(options);
  const large = new LargeKeys(LARGE_KEYS_CAP);
  await indexPass(meta, tally, { batchSize, progress: progressOf(options, "indexes") }, large);
  await instancePass(meta, tally, { batchSize, progress: progressOf(options, "hashes") }, large);
  await largeKeysPass(tally, { batchSize, progress: progressOf(options, "large indexes") }, large);
  return {
    model: meta.name,
    instances: tally.instances,
    indexKeys: tally.indexKeys,
    entries: tally.entries,
    misplaced: tally.misplaced.items,
    corrupt: tally.corrupt.items,
    wrongType: tally.wrongType.items,
    differences: tally.differences.items,
    counts: tally.counts(),
    truncated: tally.truncated,
    peakHeld: tally.peakHeld,
  };
}

/**
 * The index pass first: it removes stale entries and deletes index keys of another Redis type,
 * so the instance pass after it can add every missing entry (rebuild). Rows the instance pass
 * quarantines or deletes leave entries behind: one more index pass removes them.
 */
async function repair(meta: ModelMeta, options: RepairOptions, addMissing: boolean): Promise<RepairResult> {
  const { batchSize, tally } = settings(options);
  const repairing = { addMissing, corrupt: options.corrupt ?? "report" };
  const pass = (phase: string): PassOptions => ({
    batchSize,
    repair: repairing,
    progress: progressOf(options, phase),
  });
  const large = new LargeKeys(LARGE_KEYS_CAP);
  await indexPass(meta, tally, pass("indexes"), large);
  const moved = await instancePass(meta, tally, pass("hashes"), large);
  await largeKeysPass(tally, pass("large indexes"), large);
  // A moved row's entries that its key and decodable fields name are removed as it moves; in a
  // large structure, any other shows as a size the count does not explain (read member by member
  // above). In small structures, they were left alone as a damaged row's: one more pass over them.
  if (moved > 0) await indexPass(meta, tally, pass("leftovers"), new LargeKeys(Number.POSITIVE_INFINITY));
  return {
    model: meta.name,
    removed: tally.removed,
    added: tally.added,
    purged: tally.purged,
    unresolved: tally.unresolved,
    misplaced: tally.misplaced.items,
    corrupt: tally.corrupt.items,
    wrongType: tally.wrongType.items,
    deletedKeys: tally.deletedKeys.items,
    quarantined: tally.quarantined.items,
    deleted: tally.deleted.items,
    totals: {
      corrupt: tally.corrupt.count,
      wrongType: tally.wrongType.count,
      deletedKeys: tally.deletedKeys.count,
      quarantined: tally.quarantined.count,
      deleted: tally.deleted.count,
      misplaced: tally.misplaced.count,
    },
    damagedLeft: tally.damagedLeft,
    truncated: tally.truncated,
    peakHeld: tally.peakHeld,
  };
}

/**
 * Compares every index structure of the model (class set, key-field, unique and indexed-field
 * sets, sorted and geo sets, relationship reverse sets, popoto's lex indexes, ttl shadows) with
 * the hashes, and reports each difference. Read-only; SCAN/SSCAN/ZSCAN and pipelines only; safe
 * while the application writes (a difference is reported only if it still holds when re-read).
 */
export function checkIndexes(meta: ModelMeta, options: MaintenanceOptions = {}): Promise<IndexReport> {
  return withRedisErrors(async () => check(await storedLayoutOf(meta, "checkIndexes"), options));
}

/** Removes stale index entries and corrects wrong scores; adds nothing. Safe while the application writes. */
export function cleanIndexes(meta: ModelMeta, options: RepairOptions = {}): Promise<RepairResult> {
  return withRedisErrors(async () => repair(await storedLayoutOf(meta, "cleanIndexes"), options, false));
}

/**
 * Makes every index match the hashes: removes stale entries and adds missing ones (for example
 * for data written by Python Popoto or a raw client, which keeps neither the lex indexes nor the
 * None reverse sets). Indexes stay usable throughout: nothing is dropped and rebuilt from empty.
 */
export function rebuildIndexes(meta: ModelMeta, options: RepairOptions = {}): Promise<RepairResult> {
  return withRedisErrors(async () => repair(await storedLayoutOf(meta, "rebuildIndexes"), options, true));
}
