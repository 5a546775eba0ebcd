import { QueryError } from "../errors.js";
import type { ModelMeta } from "../model/meta.js";

/** One ordering term: `"-pages"` is `{ field: "pages", desc: true }`. */
export interface OrderTerm {
  readonly field: string;
  readonly desc: boolean;
}

export const parseOrder = (meta: ModelMeta, terms: readonly string[]): OrderTerm[] =>
  terms.map((term) => {
    if (typeof term !== "string")
      throw new QueryError(meta.name, `orderBy takes field names (strings), received ${typeof term}.`);
    const desc = term.startsWith("-");
    const field = desc ? term.slice(1) : term;
    if (!meta.fields.has(field))
      throw new QueryError(
        meta.name,
        `orderBy "${term}" names no field of ${meta.name}; use one of ${meta.fieldNames.join(", ")} (prefix - for descending).`,
        field,
      );
    return { field, desc };
  });

const rank = (value: unknown): number | string | bigint => {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" || typeof value === "string" || typeof value === "bigint") return value;
  return String(value);
};

/**
 * Compares two decoded values of one field: nulls first, numbers numerically, strings by code
 * point (as Redis and Python compare them), dates by instant.
 */
export const compareValues = (a: unknown, b: unknown): number => {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull && bNull ? 0 : aNull ? -1 : 1;
  const x = rank(a);
  const y = rank(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** A comparator for rows of decoded values (descending terms reverse, so nulls come last). */
export const compareBy =
  (terms: readonly OrderTerm[]) =>
  (a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): number => {
    for (const { field, desc } of terms) {
      const c = compareValues(a.get(field), b.get(field));
      if (c !== 0) return desc ? -c : c;
    }
    return 0;
  };
