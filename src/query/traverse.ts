import type { FieldSpec } from "../fields/field.js";
import { relationshipSet } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { targetModel } from "../model/targets.js";
import { runQuery } from "./stepwise.js";
import { shardedKeys, standIn } from "./fan-out.js";
import { parseLookup, type Lookup } from "./lookup.js";
import { intersect, planLookups, union, type PlanNode } from "./plan.js";

/** Instance keys matching a plan node on one model (one round trip, or bounded steps when large). */
const matchingKeys = async (meta: ModelMeta, node: PlanNode): Promise<string[]> =>
  (await runQuery(meta, { node, mode: "keys", exists: meta.expiring }, { kind: "keys" })).map(
    (row) => row.key,
  );

/**
 * Resolves a filter's lookups into one plan node, running relationship traversals first.
 *
 * `author__name: "Tolkien"` is split at the relationship: the rest (`name`) is a query on Author,
 * whose matching keys name reverse sets `$RelationshipF:Book:author:<key>`; a book matches if it
 * is in ANY of them (a union: two authors named Tolkien give the books of both), and that union
 * is intersected with the other lookups. Lookups through one relationship form one sub-query,
 * which may itself traverse further, so paths of any depth cost one round trip per hop.
 */
export async function resolveLookups(meta: ModelMeta, lookups: readonly Lookup[]): Promise<PlanNode> {
  const direct = lookups.filter((l) => l.path.length === 0);
  const byRelationship = new Map<string, Lookup[]>();
  for (const lookup of lookups) {
    const [head] = lookup.path;
    if (head === undefined) continue;
    const group = byRelationship.get(head) ?? [];
    group.push(lookup);
    byRelationship.set(head, group);
  }
  if (byRelationship.size === 0) return planLookups(meta, direct);
  const nodes: PlanNode[] = direct.length > 0 ? [planLookups(meta, direct)] : [];
  await Promise.all(
    [...byRelationship].map(async ([field, group]) => {
      const spec = meta.fields.get(field) as FieldSpec;
      const target = targetModel(meta.name, field, spec).meta;
      const sub = group.map((l) => parseLookup(target, l.field, l.value, `${l.source}`));
      // A sharded target: planned once on its stand-in bucket, its keys read from every bucket.
      const keys =
        target.shards > 1
          ? await shardedKeys(target, await resolveLookups(standIn(target), sub))
          : await matchingKeys(target, await resolveLookups(target, sub));
      nodes.push(union(keys.map((key) => ({ t: "set" as const, key: relationshipSet(meta, field, key) }))));
    }),
  );
  return intersect(nodes);
}
