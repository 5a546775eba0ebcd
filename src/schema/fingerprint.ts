/**
 * A model's schema fingerprint, as data: the indexes it declares, each named by a stable id. Redis
 * keeps, per model, the ids of the indexes it holds for every stored instance (`$Schema:<Model>`,
 * docs/storage.md "Schema fingerprint"); a query on an index whose id is missing there would miss
 * the instances written before the index was declared. Pure: no Redis here.
 */
import { indexOfKey } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";

/**
 * The hash field that marks the fingerprint's layout. It is always written, so a model with no
 * tracked index still has a fingerprint (its absence means "unknown", not "nothing built").
 */
export const FINGERPRINT_VERSION_FIELD = "~v";

/** The value of a built index's field in the fingerprint hash. */
export const BUILT = "built";

/**
 * The id of each index the model declares whose completeness can lag behind its data, in
 * declaration order: `sorted:pages` (`sorted:price/category` when partitioned, so another
 * partitioning is another index), `indexed:genre`, `unique:email`, `relationship:author`,
 * `tag:tags`, `geo:location`, `composite:author+year`. Key fields are not listed: a new key
 * field changes every instance key, which no index build can follow. Lex indexes are not listed
 * either: the query script already checks their completeness itself (docs/storage.md).
 */
export function indexIds(meta: ModelMeta): string[] {
  const ids: string[] = [];
  for (const name of meta.fieldNames) {
    const id = fieldIndexId(meta, name);
    if (id !== undefined) ids.push(id);
  }
  for (const index of meta.compositeIndexes) ids.push(`composite:${index.fields.join("+")}`);
  return ids;
}

/** The fingerprint id of a field's index, or undefined when its index is not tracked. */
export function fieldIndexId(meta: ModelMeta, field: string): string | undefined {
  const spec = meta.fields.get(field);
  if (spec === undefined) return undefined;
  switch (spec.kind) {
    case "sorted":
      return spec.partitionBy.length > 0
        ? `sorted:${field}/${spec.partitionBy.join(",")}`
        : `sorted:${field}`;
    case "indexed":
    case "unique":
    case "relationship":
    case "tag":
    case "geo":
      return `${spec.kind}:${field}`;
    default:
      return undefined;
  }
}

/**
 * The fingerprint ids of the indexes a query reads, from the index keys it names (a key the
 * fingerprint does not track names none), with the field each belongs to.
 */
export function idsOfKeys(meta: ModelMeta, keys: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const key of keys) {
    const index = indexOfKey(meta, key);
    if (index === undefined) continue;
    const id = index.kind === "composite" ? `composite:${index.field}` : fieldIndexId(meta, index.field);
    // An index key of a field the model declares otherwise (left from an earlier definition)
    // is not one of the model's indexes: the planner never names it.
    if (id !== undefined && id.startsWith(`${index.kind}:`)) found.set(id, index.field);
  }
  return found;
}
