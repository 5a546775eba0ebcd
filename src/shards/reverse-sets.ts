/**
 * The reverse sets of a sharded referring model under its stored layout (docs/storage.md §7a
 * "Resharding"): an onDelete reads the referrers of a target in every bucket of the layout the
 * referring model's instances are in, and of both layouts while a reshard moves them (a bucket
 * already emptied holds an empty set; a referrer moved between the read and the write changes a
 * guarded set, and the delete plans again).
 */
import { layoutView, reverseSetsOf } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { layoutOf } from "./layout.js";

/** `reverseSetsOf` over the referring model's stored layout (both layouts while moving). */
export async function layoutReverseSets(
  model: ModelMeta,
  field: string,
  relatedKey: string,
): Promise<string[]> {
  const layout = await layoutOf(model);
  const counts = layout.to === undefined ? [layout.count] : [layout.count, layout.to];
  return counts.flatMap((count) => reverseSetsOf(layoutView(model, count), field, relatedKey));
}
