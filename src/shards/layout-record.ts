/**
 * The layout record of a sharded model (`$Shards:…`, docs/storage.md §7a "Resharding") as data:
 * parsed from its hash and routed without Redis, so the rules are tested as data.
 */

/** Where a sharded model's instances are: one layout, or two while a reshard moves them. */
export interface Layout {
  /** The bucket count readers and writers use (K); while moving, the layout being emptied. */
  readonly count: number;
  /** While a reshard moves the model: the bucket count it moves to (N). */
  readonly to?: number | undefined;
  /** While moving: the buckets of layout `count` that are empty now (their instances are in `to`). */
  readonly done: ReadonlySet<number>;
  /** While moving: the bucket of layout `count` being emptied now, if any. */
  readonly moving?: number | undefined;
  /** Reshards started on the model (0: never resharded). */
  readonly epoch: number;
}

const whole = (text: string | undefined): number | undefined => {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
};

/**
 * The layout a record's hash (field → value) describes. A record without a readable `count` (none
 * yet, or another client's) is the declared layout; fields that make no sense (a `done` bucket
 * out of range, `to` equal to `count`) are dropped rather than trusted.
 */
export function parseLayout(hash: Readonly<Record<string, string>>, declared: number): Layout {
  const count = whole(hash["count"]);
  const epoch = whole(hash["epoch"]) ?? 0;
  if (count === undefined || count < 1) return { count: declared, done: new Set(), epoch };
  const to = whole(hash["to"]);
  if (to === undefined || to < 1 || to === count) return { count, done: new Set(), epoch };
  const done = new Set(
    (hash["done"] ?? "")
      .split(",")
      .map((part) => whole(part))
      .filter((b): b is number => b !== undefined && b < count),
  );
  const moving = whole(hash["moving"]);
  return { count, to, done, moving: moving !== undefined && moving < count ? moving : undefined, epoch };
}

/** A layout as the hash fields the record stores (the inverse of `parseLayout`). */
export function layoutFields(layout: Layout): Record<string, string> {
  const fields: Record<string, string> = { count: String(layout.count), epoch: String(layout.epoch) };
  if (layout.to === undefined) return fields;
  fields["to"] = String(layout.to);
  fields["done"] = [...layout.done].sort((a, b) => a - b).join(",");
  if (layout.moving !== undefined) fields["moving"] = String(layout.moving);
  return fields;
}

/** True while a reshard is moving the model's instances between two layouts. */
export const isMoving = (layout: Layout): layout is Layout & { readonly to: number } =>
  layout.to !== undefined;

/**
 * Where a write of an instance goes, from the text whose hash picks its bucket (its key parts,
 * its `shardBy` part or its parent's key body: `bucketOfText`'s input) and the bucket that text
 * has in layout `count` (`oldBucket`):
 * - `{ count, bucket }`: write in that layout's bucket;
 * - `"wait"`: the instance's bucket is being emptied now; writers wait for it (a few seconds at
 *   most per bucket) rather than race the mover.
 */
export type WriteRoute = { readonly count: number; readonly bucket: number } | "wait";

export function routeWrite(layout: Layout, bucketIn: (count: number) => number): WriteRoute {
  const old = bucketIn(layout.count);
  if (!isMoving(layout)) return { count: layout.count, bucket: old };
  if (layout.done.has(old)) return { count: layout.to, bucket: bucketIn(layout.to) };
  if (layout.moving === old) return "wait";
  return { count: layout.count, bucket: old };
}

/**
 * The layouts a read covers, in the order they must be read: while moving, the old layout's
 * buckets not yet emptied first, then every bucket of the new one (a mover copies an instance to
 * the new layout before deleting it from the old, so an instance gone from the first read is in
 * the second). Otherwise one phase of every bucket.
 */
export interface ReadPhase {
  readonly count: number;
  readonly buckets: readonly number[];
}

export function readPhases(layout: Layout): ReadPhase[] {
  const every = (count: number): number[] => Array.from({ length: count }, (_, b) => b);
  if (!isMoving(layout)) return [{ count: layout.count, buckets: every(layout.count) }];
  const old = every(layout.count).filter((b) => !layout.done.has(b));
  return old.length === 0
    ? [{ count: layout.to, buckets: every(layout.to) }]
    : [
        { count: layout.count, buckets: old },
        { count: layout.to, buckets: every(layout.to) },
      ];
}
