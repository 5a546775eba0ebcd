/**
 * The planning of an online reshard (docs/storage.md §7a "Resharding") as data: where a run
 * starts or resumes, which old buckets remain, which tags layouts K and N share, where a stored
 * instance goes in layout N, and the progress a run reports. No Redis here: src/shards/reshard.ts
 * executes what these functions decide.
 */
import { bucketOfText, bucketTag } from "../keys/shards.js";
import type { Layout } from "./layout-record.js";

/** The stored layout record as the mover reads it (`$Shards:Event`): the readers' and writers' `Layout`. */
export type LayoutState = Layout;

/** What a run of `reshard(N)` does first, given the stored record. */
export type ReshardStart =
  /** No move in progress: record `to`, `done` "" and the next epoch, then move every old bucket. */
  | { readonly kind: "start"; readonly from: number; readonly to: number; readonly epoch: number }
  /** A move to N was interrupted: continue it with the old buckets not done. */
  | { readonly kind: "resume"; readonly from: number; readonly to: number; readonly epoch: number }
  /** The stored layout already has N buckets and nothing moves. */
  | { readonly kind: "nothing"; readonly count: number }
  /** A move to another count is in progress: it must be finished first. */
  | { readonly kind: "other-move"; readonly from: number; readonly to: number };

/** Decides how a reshard to `shards` begins from the stored record. */
export const planStart = (state: LayoutState, shards: number): ReshardStart => {
  if (state.to !== undefined)
    return state.to === shards
      ? { kind: "resume", from: state.count, to: shards, epoch: state.epoch }
      : { kind: "other-move", from: state.count, to: state.to };
  if (state.count === shards) return { kind: "nothing", count: shards };
  return { kind: "start", from: state.count, to: shards, epoch: state.epoch + 1 };
};

/** The old buckets still to move, ascending (the bucket a killed run was moving is among them). */
export const remainingBuckets = (from: number, done: ReadonlySet<number>): number[] =>
  Array.from({ length: from }, (_, b) => b).filter((b) => !done.has(b));

/**
 * Buckets whose tag is the same in layouts `from` and `to` (same bucket number, same salt):
 * an instance of such a bucket that stays in the same bucket number keeps its keys.
 */
export const sharedBuckets = (model: string, from: number, to: number): number[] =>
  Array.from({ length: Math.min(from, to) }, (_, b) => b).filter(
    (b) => bucketTag(model, b, from) === bucketTag(model, b, to),
  );

/** `done` as stored: old buckets ascending, comma-separated, "" for none. */
export const formatDone = (done: ReadonlySet<number>): string => [...done].sort((a, b) => a - b).join(",");

/** `done` read back; anything that is not a bucket number of the old layout is ignored. */
export const parseDone = (text: string | undefined, from: number): Set<number> =>
  new Set(
    (text ?? "")
      .split(",")
      .filter((part) => /^\d+$/.test(part))
      .map(Number)
      .filter((b) => b < from),
  );

/** Where a stored instance goes: its key in layout N, and whether it stays where it is. */
export interface Destination {
  readonly oldKey: string;
  readonly newKey: string;
  readonly bucket: number;
  /** True when the new key is the old one (a shared tag, same bucket number). */
  readonly stays: boolean;
}

/**
 * The key in layout `to` of the instance stored at `oldKey`, given the text that picks its bucket
 * (its key body, its shardBy part, or its shardBy parent's key body): same key body, the tag of
 * bucket `FNV-1a(text) mod to`.
 */
export const destinationOf = (model: string, oldKey: string, bucketText: string, to: number): Destination => {
  const bucket = bucketOfText(bucketText, to);
  const newKey = `${bucketTag(model, bucket, to)}${oldKey.slice(oldKey.indexOf("}") + 1)}`;
  return { oldKey, newKey, bucket, stays: newKey === oldKey };
};

/** Splits a batch of scanned keys into those that stay and those that move (pure bookkeeping). */
export const splitBatch = (
  destinations: readonly Destination[],
): { readonly stayers: Destination[]; readonly movers: Destination[] } => ({
  stayers: destinations.filter((d) => d.stays),
  movers: destinations.filter((d) => !d.stays),
});

/** What `onProgress` receives after each batch. */
export interface ReshardProgress {
  /** The old bucket being moved. */
  readonly bucket: number;
  /** How many old buckets the layout has (K). */
  readonly buckets: number;
  /** Instances moved so far by this run (created in layout N, deleted from K). */
  readonly moved: number;
  /** Keys read from old buckets' class sets so far by this run (a bucket scanned again counts again). */
  readonly scanned: number;
  /** Instances in the old buckets still to move when this run started (sum of SCARD). */
  readonly total: number;
}

/** Progress after one more batch of bucket `bucket`. */
export const advance = (
  before: ReshardProgress,
  bucket: number,
  batch: { readonly scanned: number; readonly moved: number },
): ReshardProgress => ({
  bucket,
  buckets: before.buckets,
  moved: before.moved + batch.moved,
  scanned: before.scanned + batch.scanned,
  total: before.total,
});

/** Progress at the start of a run: nothing read yet. */
export const startProgress = (first: number, buckets: number, total: number): ReshardProgress => ({
  bucket: first,
  buckets,
  moved: 0,
  scanned: 0,
  total,
});

/**
 * The text that picks a stored instance's bucket, as the write path computes it (docs/storage.md
 * §7a "Which bucket"): its key body (the escaped parts after the tag), its `shardBy` key field's
 * part, or its `shardBy` relationship's target key body (`related`: the stored related key; null
 * or absent hashes its own key body).
 */
export const bucketTextOf = (
  shard: { readonly keyFields: readonly string[]; readonly shardBy: string | undefined },
  oldKey: string,
  related?: string | null,
): string => {
  const body = oldKey.slice(oldKey.indexOf("}") + 2);
  if (shard.shardBy === undefined) return body;
  const position = shard.keyFields.indexOf(shard.shardBy);
  // Escaped parts never hold a bare `:` (it is spelled `{&#58;}`), so the body splits on it.
  if (position >= 0) return body.split(":")[position] as string;
  if (typeof related !== "string") return body;
  return related.slice(related.indexOf(":") + 1);
};
