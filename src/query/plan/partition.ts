/**
 * Partitioned sorted fields (`sorted({ partitionBy })`): which partition's sorted set a filter
 * reads, chosen by its equalities on the partition fields, and the node for an equality on a plain
 * field that partitions a sorted field.
 */
import { QueryError } from "../../errors.js";
import type { FieldSpec } from "../../fields/field.js";
import type { KeyType } from "../../fields/field-type.js";
import { relatedPartitionPart, sortedSet, valuePart } from "../../keys/keys.js";
import type { ModelMeta } from "../../model/meta.js";
import { relatedKeyOf } from "../../model/values.js";
import type { Lookup } from "../lookup.js";
import type { PlanNode } from "./node.js";
import { queryValue } from "./values.js";

/** The partition parts of a sorted field, from equality lookups in the same filter. */
function partitionParts(
  meta: ModelMeta,
  spec: FieldSpec,
  field: string,
  lookups: readonly Lookup[],
): string[] {
  return spec.partitionBy.map((name) => {
    const given = lookups.find((l) => l.field === name && l.op === "" && l.path.length === 0);
    if (!given)
      throw new QueryError(
        meta.name,
        `${field} is sorted within partitions of ${spec.partitionBy.join(", ")}; the filter must also give ` +
          `${name} by equality, e.g. { ${name}: … }.`,
        field,
      );
    const partitionSpec = meta.fields.get(name) as FieldSpec;
    if (partitionSpec.kind === "relationship") return relatedPartitionPart(relatedKeyOf(given.value) ?? null);
    return given.value === null
      ? "None"
      : valuePart(partitionSpec.type as KeyType, queryValue(meta, partitionSpec, given, given.value));
  });
}

/** The sorted set a sorted field reads for this filter (its partition chosen by the filter's equalities). */
export const sortedSetFor = (meta: ModelMeta, field: string, lookups: readonly Lookup[]): string => {
  const spec = meta.fields.get(field) as FieldSpec;
  return sortedSet(meta, field, partitionParts(meta, spec, field, lookups), spec.kind === "sortedKey");
};

/**
 * Equality on a plain field that partitions a sorted field: every instance with that value is in
 * the partition's sorted set (sorted fields are never null), so the whole set is the answer.
 */
export function partitionNode(meta: ModelMeta, lookup: Lookup, lookups: readonly Lookup[]): PlanNode {
  for (const [field, spec] of meta.fields) {
    if (!spec.partitionBy.includes(lookup.field)) continue;
    try {
      return { t: "zr", key: sortedSetFor(meta, field, lookups), min: "-inf", max: "+inf" };
    } catch {
      // another partition field of this sorted field is missing; try the next sorted field
    }
  }
  throw new QueryError(
    meta.name,
    `${meta.name}.${lookup.field} is a plain field that partitions a sorted field; give every partition field of ` +
      `that sorted field by equality, or declare ${lookup.field} as an IndexedField to filter it alone.`,
    lookup.field,
  );
}
