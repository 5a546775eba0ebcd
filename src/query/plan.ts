/**
 * The query planner: parsed lookups to a plan tree (`PlanNode`) of index keys and the set
 * operations between them, which compile.ts turns into one query.lua call. Pure: reads no Redis.
 *
 * `planLookups` picks, for each lookup, the node builder of its field's kind under query/plan/
 * (key.ts, auto-key.ts, sorted.ts with partition.ts, geo.ts, relationship.ts, tag.ts,
 * composite.ts), over the shared value checks of values.ts and the tree of node.ts.
 */
import type { FieldSpec } from "../fields/field.js";
import { classSet } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import type { Lookup } from "./lookup.js";
import { autoKeyNode } from "./plan/auto-key.js";
import { compositeNodes } from "./plan/composite.js";
import { geoNode } from "./plan/geo.js";
import { keyFieldNode } from "./plan/key.js";
import { intersect, type PlanNode } from "./plan/node.js";
import { partitionNode, sortedSetFor } from "./plan/partition.js";
import { relationshipNode } from "./plan/relationship.js";
import { sortedNode } from "./plan/sorted.js";
import { tagNode } from "./plan/tag.js";

export { intersect, union } from "./plan/node.js";
export type { GeoUnit, LexScan, PlanNode } from "./plan/node.js";
export { sortedSetFor } from "./plan/partition.js";

/**
 * The node for a filter's lookups on one model (AND of all of them). Relationship traversals
 * (`path` not empty) must already be resolved into key lists by the caller.
 */
export function planLookups(meta: ModelMeta, lookups: readonly Lookup[]): PlanNode {
  const direct = lookups.filter((l) => l.path.length === 0);
  const nodes: PlanNode[] = [];
  const consumed = new Set<Lookup>();
  // Composite indexes first: one set answers all of an index's equalities, which it consumes.
  nodes.push(...compositeNodes(meta, direct, consumed));
  // Sorted fields next: each reads its partition values from the equalities, which it consumes.
  const sortedFields = [
    ...new Set(direct.filter((l) => isSorted(meta, l.field) && !consumed.has(l)).map((l) => l.field)),
  ];
  for (const field of sortedFields) {
    const spec = meta.fields.get(field) as FieldSpec;
    const own = direct.filter((l) => l.field === field && !consumed.has(l));
    const key = sortedSetFor(meta, field, direct);
    for (const name of spec.partitionBy) {
      for (const l of direct) if (l.field === name && l.op === "") consumed.add(l);
    }
    own.forEach((l) => consumed.add(l));
    nodes.push(sortedNode(meta, spec, own, key));
  }
  for (const lookup of direct) {
    if (consumed.has(lookup)) continue;
    const spec = meta.fields.get(lookup.field) as FieldSpec;
    if (spec.kind === "key" || spec.kind === "uniqueKey" || spec.kind === "indexed" || spec.kind === "unique")
      nodes.push(keyFieldNode(meta, spec, lookup));
    else if (spec.kind === "geo") nodes.push(geoNode(meta, lookup));
    else if (spec.kind === "autoKey") nodes.push(autoKeyNode(meta, spec, lookup));
    else if (spec.kind === "relationship") nodes.push(relationshipNode(meta, lookup));
    else if (spec.kind === "tag") nodes.push(tagNode(meta, lookup));
    else if (spec.kind === "plain") nodes.push(partitionNode(meta, lookup, direct));
    // A sorted field's lookups were consumed above.
  }
  return nodes.length === 0 ? { t: "set", key: classSet(meta) } : intersect(nodes);
}

const isSorted = (meta: ModelMeta, field: string): boolean => {
  const kind = meta.fields.get(field)?.kind;
  return kind === "sorted" || kind === "sortedKey";
};
