/** Composite indexes (the model option `indexes`): one `$CompositeF` set per combination of values. */
import { QueryError } from "../../errors.js";
import type { FieldSpec } from "../../fields/field.js";
import type { KeyType } from "../../fields/field-type.js";
import { compositeSet, relatedPartitionPart, valuePart } from "../../keys/keys.js";
import type { ModelMeta } from "../../model/meta.js";
import { checkRelated } from "../../model/values.js";
import type { Lookup } from "../lookup.js";
import type { PlanNode } from "./node.js";
import { queryValue } from "./values.js";

/**
 * The sets of the composite indexes whose every field the filter gives by equality (wider indexes
 * first; a lookup serves one index), adding the lookups they answer to `consumed`.
 */
export function compositeNodes(
  meta: ModelMeta,
  direct: readonly Lookup[],
  consumed: Set<Lookup>,
): PlanNode[] {
  const nodes: PlanNode[] = [];
  const widest = [...meta.compositeIndexes].sort((a, b) => b.fields.length - a.fields.length);
  for (const index of widest) {
    const given = index.fields.map((name) =>
      direct.find((l) => l.field === name && l.op === "" && !consumed.has(l)),
    );
    if (given.some((l) => l === undefined)) continue;
    const parts = (given as Lookup[]).map((lookup) => {
      const spec = meta.fields.get(lookup.field) as FieldSpec;
      if (spec.kind === "relationship") {
        if (lookup.value === null) return relatedPartitionPart(null);
        const related = checkRelated(meta, lookup.field, spec, lookup.value);
        if (!related.ok)
          throw new QueryError(meta.name, `${lookup.source}: ${related.message} (or null).`, lookup.field);
        return relatedPartitionPart(related.key);
      }
      return lookup.value === null
        ? "None"
        : valuePart(spec.type as KeyType, queryValue(meta, spec, lookup, lookup.value));
    });
    for (const lookup of given as Lookup[]) consumed.add(lookup);
    nodes.push({ t: "set", key: compositeSet(meta, index.fields, parts) });
  }
  return nodes;
}
