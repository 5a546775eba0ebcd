/** Lookups on a TagField: `$TagF` sets, one per tag. */
import { QueryError, formatValue } from "../../errors.js";
import { tagSet } from "../../keys/keys.js";
import type { ModelMeta } from "../../model/meta.js";
import type { Lookup } from "../lookup.js";
import { NONE, intersect, union, type PlanNode } from "./node.js";
import { listValue } from "./values.js";

/**
 * `tags__contains: t` is the tag's set; `tags__any: [...]` their union, `tags__all: [...]` their
 * intersection. An empty list matches nothing, as in Popoto.
 */
export function tagNode(meta: ModelMeta, lookup: Lookup): PlanNode {
  const setFor = (tag: unknown): PlanNode => {
    if (typeof tag !== "string")
      throw new QueryError(
        meta.name,
        `${lookup.source} expects tags (strings), received ${formatValue(tag)}.`,
        lookup.field,
      );
    return { t: "set", key: tagSet(meta, lookup.field, tag) };
  };
  switch (lookup.op) {
    case "contains":
      return setFor(lookup.value);
    case "any":
      return union(listValue(meta, lookup).map(setFor));
    case "all": {
      const sets = [...new Set(listValue(meta, lookup))].map(setFor);
      return sets.length === 0 ? NONE : intersect(sets);
    }
    default:
      throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
  }
}
