/**
 * Reads of a sharded model follow its stored layout (docs/storage.md §7a "Resharding"). A read
 * resolves the layout (from memory after a connection's first use), reads its buckets, and every
 * bucket's query.lua call first checks the bucket's `$Retired` set: a bucket retired for the
 * reader's count may have lost instances to a reshard, so the read is thrown away, the layout read
 * again, and the read run anew. While a reshard moves the model, a read covers two phases: the old
 * layout's buckets not yet emptied, then every bucket of the new one (src/shards/layout-record.ts,
 * `readPhases`); the caller merges them by key body, keeping the second phase's copy.
 */
import { QueryError } from "../errors.js";
import { declaredModel, keyBody, layoutView, retiredSet, unsharded, variantOf } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { isMoving, readPhases } from "./layout-record.js";
import { layoutOf, refreshLayout } from "./layout.js";

/** Thrown by a bucket read that found its bucket retired: the caller's layout is out of date. */
export class LayoutMoved extends Error {
  constructor(readonly model: string) {
    super(`popoto internal: a bucket of ${model} was retired by a reshard while it was read`);
  }
}

/** Views of the first phase of a move: their buckets are retired already, so never checked. */
const unchecked = new WeakSet<ModelMeta>();
/** The buckets a phase view may read (absent: every bucket its filter can touch). */
const allowed = new WeakMap<ModelMeta, ReadonlySet<number>>();
const phaseViews = new WeakMap<ModelMeta, Map<string, ModelMeta>>();

/** The old layout's view for a move's first phase: only `buckets`, and no retired check. */
function oldPhaseView(layout: ModelMeta, buckets: readonly number[]): ModelMeta {
  let cache = phaseViews.get(layout);
  if (!cache) phaseViews.set(layout, (cache = new Map()));
  const id = buckets.join(",");
  let view = cache.get(id);
  if (!view) {
    view = variantOf(layout);
    unchecked.add(view);
    allowed.set(view, new Set(buckets));
    cache.set(id, view);
  }
  return view;
}

/** The `$Retired` check a bucket view's reads carry, or undefined (unsharded, stand-in, a move's first phase). */
export function retiredCheckOf(view: ModelMeta): { key: string; member: string } | undefined {
  if (view.shards <= 1 || view.bucket === undefined || view.bucket < 0) return undefined;
  if (unchecked.has(unsharded(view))) return undefined;
  return { key: retiredSet(view), member: String(view.shards) };
}

/** Narrows the buckets a filter can touch to those the read phase covers. */
export const phaseBuckets = (view: ModelMeta, buckets: readonly number[]): number[] => {
  const only = allowed.get(unsharded(view));
  return only ? buckets.filter((b) => only.has(b)) : [...buckets];
};

/** How many times a read follows a moved layout before it gives up (each is a reshard step racing it). */
const ROUNDS = 8;

/**
 * Runs `read` with the views of the model's stored layout, in the order they must be read (one, or
 * two while moving), and again with a fresh layout when a bucket it read was retired meanwhile.
 */
export async function withLayout<T>(meta: ModelMeta, read: (views: ModelMeta[]) => Promise<T>): Promise<T> {
  const declared = declaredModel(meta);
  let layout = await layoutOf(declared);
  // A move known from memory is read again (one small round trip, only while a reshard runs): its
  // `done` buckets grow, and once it ends nothing else would tell a process that only reads (its
  // new-layout buckets are not retired), which would keep paying for two-phase reads.
  if (isMoving(layout)) layout = await refreshLayout(declared);
  for (let round = 1; ; round++) {
    const phases = readPhases(layout);
    const views = phases.map((phase, i) =>
      phases.length > 1 && i === 0
        ? oldPhaseView(layoutView(declared, phase.count), phase.buckets)
        : layoutView(declared, phase.count),
    );
    try {
      return await read(views);
    } catch (error) {
      if (!(error instanceof LayoutMoved)) throw error;
      if (round >= ROUNDS)
        throw new QueryError(
          declared.name,
          `a reshard retired a bucket under this read ${ROUNDS} times in a row (\`$Retired:…\`), so its answer ` +
            `could miss moved instances; nothing was returned. Retry the read: a reshard's steps are short.`,
        );
      layout = await refreshLayout(declared);
    }
  }
}

/**
 * Rows of the read phases as one list, each instance (key body) once: the last copy read wins, in
 * the place of the first. While moving, an instance may be read twice: in an old bucket and in the
 * new layout (copied, not yet deleted), or twice in the new layout's read, since a bucket whose tag
 * both layouts share holds old instances not yet moved out of it. Both copies are the same bytes
 * (writers wait while their bucket moves), so either names it.
 */
export function dedupeByBody<T extends { readonly key: string }>(phases: readonly (readonly T[])[]): T[] {
  const rows = new Map<string, T>();
  for (const phase of phases) for (const row of phase) rows.set(keyBody(row.key), row);
  return [...rows.values()];
}
