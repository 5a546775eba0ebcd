/**
 * Lookups on an AutoKeyField, which keeps no index: the value is a part of the instance key, so
 * the key itself (the only key field) or a key-part match over the class set answers it.
 */
import type { FieldSpec } from "../../fields/field.js";
import { classSet, instanceKey, valuePart } from "../../keys/keys.js";
import type { ModelMeta } from "../../model/meta.js";
import type { Lookup } from "../lookup.js";
import { union, type PlanNode } from "./node.js";
import { listValue, queryValue } from "./values.js";

/** The node for exact or `__in` on an auto key field. */
export function autoKeyNode(meta: ModelMeta, spec: FieldSpec, lookup: Lookup): PlanNode {
  const position = meta.keyFields.indexOf(lookup.field) + 1;
  const nodeFor = (value: unknown): PlanNode => {
    const part = valuePart("string", queryValue(meta, spec, lookup, value));
    // The only key field: the instance key is known, so no index is read (AutoKeyField has none).
    if (meta.keyFields.length === 1) return { t: "keys", keys: [instanceKey(meta, [part])] };
    return { t: "part", key: classSet(meta), position, part };
  };
  return lookup.op === "in" ? union(listValue(meta, lookup).map(nodeFor)) : nodeFor(lookup.value);
}
