/**
 * Exact, `__in` and `__isnull` lookups on a field indexed by one Redis set per value: shared by
 * key-like fields (`$KeyF`, `$UniqueKeyF`, `$IndexF`, `$UniquF`) and relationships.
 */
import { QueryError } from "../../errors.js";
import { classSet } from "../../keys/keys.js";
import type { ModelMeta } from "../../model/meta.js";
import type { Lookup } from "../lookup.js";
import { union, type PlanNode } from "./node.js";
import { booleanValue, listValue } from "./values.js";

/**
 * Exact, `__in` and `__isnull` on a field indexed by one set per value (`setFor(null)` is the
 * `None` set): a set, a union of sets, or the class set minus the None set.
 */
export function setLookupNode(
  meta: ModelMeta,
  lookup: Lookup,
  setFor: (value: unknown) => PlanNode,
): PlanNode {
  switch (lookup.op) {
    case "":
      return setFor(lookup.value);
    case "in":
      return union(listValue(meta, lookup).map(setFor));
    case "isnull":
      // SDIFF: no set holds all non-null values, so take the class set minus the None set.
      return booleanValue(meta, lookup)
        ? setFor(null)
        : { t: "diff", a: { t: "set", key: classSet(meta) }, b: [setFor(null)] };
    default:
      throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
  }
}
