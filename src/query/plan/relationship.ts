/**
 * Exact, `__in` and `__isnull` on a relationship, through its `$RelationshipF` reverse sets.
 * Lookups across a relationship (`author__name`) are resolved by the caller, not here.
 */
import { QueryError } from "../../errors.js";
import type { FieldSpec } from "../../fields/field.js";
import { classSet, relationshipSet } from "../../keys/keys.js";
import type { ModelMeta } from "../../model/meta.js";
import { checkRelated } from "../../model/values.js";
import type { Lookup } from "../lookup.js";
import type { PlanNode } from "./node.js";
import { setLookupNode } from "./set-lookup.js";

/** The node for one direct lookup on a relationship field. */
export function relationshipNode(meta: ModelMeta, lookup: Lookup): PlanNode {
  const setFor = (value: unknown): PlanNode => {
    // Popoto never adds to the None set, so rows it wrote are found by their stored nil as well.
    if (value === null)
      return {
        t: "nulls",
        key: relationshipSet(meta, lookup.field, null),
        classKey: classSet(meta),
        field: lookup.field,
      };
    const related = checkRelated(meta, lookup.field, meta.fields.get(lookup.field) as FieldSpec, value);
    if (!related.ok)
      throw new QueryError(meta.name, `${lookup.source}: ${related.message} (or null).`, lookup.field);
    return { t: "set", key: relationshipSet(meta, lookup.field, related.key) };
  };
  return setLookupNode(meta, lookup, setFor);
}
