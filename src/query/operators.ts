/**
 * Which lookups each field kind answers: the one table that both the run-time check (`opsFor`,
 * used by parseLookup, filterParams and the studio) and the filter types (`OpsOf` in
 * filter-types.ts) are derived from. To add a lookup: add it to LookupOp, list it under the kinds
 * that answer it, give its value type in filter-types.ts's OpValues, and plan it in plan.ts.
 */
import type { FieldKind, FieldSpec } from "../fields/field.js";

/** Lookup operators, by what they do. `""` is equality (`title`, as opposed to `title__in`). */
export type LookupOp =
  | ""
  | "in"
  | "isnull"
  | "startswith"
  | "endswith"
  | "contains"
  | "gt"
  | "gte"
  | "lt"
  | "lte"
  | "between"
  | "within"
  | "any"
  | "all";

/** Run-time table of operators; kept in step with LookupOp by `satisfies`. */
export const LOOKUP_OPS = {
  "": true,
  in: true,
  isnull: true,
  startswith: true,
  endswith: true,
  contains: true,
  gt: true,
  gte: true,
  lt: true,
  lte: true,
  between: true,
  within: true,
  any: true,
  all: true,
} as const satisfies Record<LookupOp, true>;

const RANGE = ["gt", "gte", "lt", "lte", "between"] as const;

/** The operators of each field kind, in the order messages list them. Plain fields are not indexed. */
export const KIND_OPS = {
  plain: [],
  key: ["", "in", "isnull"],
  uniqueKey: ["", "in", "isnull"],
  indexed: ["", "in", "isnull"],
  unique: ["", "in", "isnull"],
  geo: ["within"],
  autoKey: ["", "in"],
  sorted: ["", "in", ...RANGE],
  sortedKey: ["", "in", ...RANGE],
  relationship: ["", "in", "isnull"],
  // Membership of one tag, of at least one (`any`) or of every one (`all`); no equality, as in Popoto.
  tag: ["contains", "any", "all"],
} as const satisfies Record<FieldKind, readonly LookupOp[]>;

/** The string operators, which string fields of these kinds answer too (after their kind's own). */
export const STRING_OPS = ["startswith", "endswith", "contains"] as const satisfies readonly LookupOp[];
export const STRING_OP_KINDS = {
  key: true,
  uniqueKey: true,
  indexed: true,
  unique: true,
} as const satisfies Partial<Record<FieldKind, true>>;

/** The operator names of a field of kind `TKind` and value type `TType` (the type-level `opsFor`). */
export type OpNames<TKind extends FieldKind, TType> =
  | (typeof KIND_OPS)[TKind][number]
  | (TKind extends keyof typeof STRING_OP_KINDS
      ? TType extends "string"
        ? (typeof STRING_OPS)[number]
        : never
      : never);

/** The operators a field supports, by kind (and, for string operators, by value type). */
export function opsFor(spec: FieldSpec): readonly LookupOp[] {
  const own: readonly LookupOp[] = KIND_OPS[spec.kind];
  return Object.hasOwn(STRING_OP_KINDS, spec.kind) && spec.type === "string" ? [...own, ...STRING_OPS] : own;
}
