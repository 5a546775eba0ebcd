import { QueryError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { ModelMeta } from "../model/meta.js";
import { LOOKUP_OPS, opsFor, type LookupOp } from "./operators.js";

/** One parsed lookup: `pages__gte: 300` is `{ field: "pages", op: "gte", value: 300 }`. */
export interface Lookup {
  /** Relationship fields crossed before `field`, outermost first (`author__name` has path ["author"]). */
  readonly path: readonly string[];
  readonly field: string;
  readonly op: LookupOp;
  readonly value: unknown;
  /** The key as the user wrote it, for messages. */
  readonly source: string;
}

const describeOps = (spec: FieldSpec): string =>
  opsFor(spec)
    .map((op) => (op === "" ? "exact" : `__${op}`))
    .join(", ");

/**
 * Splits `title__startswith` into field and operator and checks both against the model.
 * Relationship traversal (`author__name`) keeps the relationship names in `path`; the target
 * model checks the rest when the sub-query is planned.
 */
export function parseLookup(meta: ModelMeta, key: string, value: unknown, source = key): Lookup {
  const [field = "", ...rest] = key.split("__");
  const spec = meta.fields.get(field);
  if (!spec)
    throw new QueryError(
      meta.name,
      `"${source}" names no field of ${meta.name} (fields: ${meta.fieldNames.join(", ")}).`,
      field,
    );
  if (
    spec.kind === "relationship" &&
    rest.length > 0 &&
    !(
      rest.length === 1 &&
      Object.hasOwn(LOOKUP_OPS, rest[0] as string) &&
      opsFor(spec).includes(rest[0] as LookupOp)
    )
  )
    return { path: [field], field: rest.join("__"), op: "", value, source };
  if (rest.length > 1)
    throw new QueryError(
      meta.name,
      `"${source}" has more than one operator; write field__operator, e.g. ${field}__in.`,
      field,
    );
  const op = (rest[0] ?? "") as LookupOp;
  // A plain field that partitions a sorted field can be given by equality: it picks the partition.
  const supported =
    spec.kind === "plain" && [...meta.fields.values()].some((s) => s.partitionBy.includes(field))
      ? ([""] as const)
      : opsFor(spec);
  if (supported.length === 0)
    throw new QueryError(
      meta.name,
      `${meta.name}.${field} is not indexed, so it cannot be filtered; declare it with KeyField() for ` +
        `equality and string lookups or SortedField() for ranges.`,
      field,
    );
  if (!Object.hasOwn(LOOKUP_OPS, op) || !supported.includes(op))
    throw new QueryError(
      meta.name,
      `${meta.name}.${field} does not support "__${op}"; it supports ${describeOps(spec)}.`,
      field,
    );
  return { path: [], field, op, value, source };
}

/** Parses a filter object; `undefined` values are skipped (an optional filter left out). */
export const parseFilter = (meta: ModelMeta, where: Readonly<Record<string, unknown>>): Lookup[] =>
  Object.entries(where)
    .filter(([, value]) => value !== undefined)
    .map(([source, value]) => parseLookup(meta, source, value));
