import { QueryError } from "../errors.js";
import { classSet } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { targetModel } from "../model/targets.js";
import { parseLookup, type Lookup } from "./lookup.js";
import { LOOKUP_OPS } from "./operators.js";
import { intersect, union, type PlanNode } from "./plan.js";
import { resolveLookups } from "./traverse.js";

const Q_MARK: unique symbol = Symbol("popoto.q");

/**
 * A combination of filters (Popoto's Q objects), built with `or()`, `and()` and `not()`, and
 * evaluated with set operations in Redis. The type parameter carries the filters for type checks.
 */
export interface Q<TFilter = unknown> {
  readonly [Q_MARK]: true;
  readonly op: "and" | "or" | "not";
  readonly parts: readonly (TFilter | Q<TFilter>)[];
}

const makeQ = <TFilter>(op: Q["op"], parts: readonly unknown[]): Q<TFilter> =>
  Object.freeze({ [Q_MARK]: true as const, op, parts: Object.freeze([...parts]) }) as Q<TFilter>;

/** Matches what any of the filters matches (SUNION in Redis). @example Book.query.filter(or({ pages: 1 }, { pages: 2 })) */
export function or<const TFilters extends readonly object[]>(
  ...filters: TFilters
): Q<LeafFilters<TFilters[number]>> {
  return makeQ("or", filters);
}

/** Matches what all of the filters match (SINTER-style intersection in Redis). */
export function and<const TFilters extends readonly object[]>(
  ...filters: TFilters
): Q<LeafFilters<TFilters[number]>> {
  return makeQ("and", filters);
}

/** Matches what the filter does not (the class set minus the filter's matches). @example Book.query.filter(not({ genre: "sf" })) */
export function not<const TFilter extends object>(filter: TFilter): Q<LeafFilters<TFilter>> {
  return makeQ("not", [filter]);
}

/** The plain filter objects inside (possibly nested) Q objects. */
export type LeafFilters<T> = T extends Q<infer U> ? LeafFilters<U> : T;

export const isQ = (value: unknown): value is Q =>
  typeof value === "object" && value !== null && Q_MARK in value;

/** Deepest nesting of or()/and()/not() and of nested filter objects (untyped input is refused beyond). */
export const MAX_FILTER_DEPTH = 64;

/** A filter tree on one model, after parsing: plain lookups at the leaves. */
export type Condition =
  | { readonly t: "lookups"; readonly lookups: readonly Lookup[] }
  | { readonly t: "and" | "or"; readonly c: readonly Condition[] }
  | { readonly t: "not"; readonly c: Condition };

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * Turns the nested object form into `__` keys: `{ author: { name: "Tolkien" }, pages: { gte: 300 } }`
 * is `{ author__name: "Tolkien", pages__gte: 300 }`. A plain object under a relationship names the
 * target's fields (or the relationship's own operators); under any other field, its operators.
 */
export function flattenNested(
  meta: ModelMeta,
  where: Readonly<Record<string, unknown>>,
  prefix = "",
): [string, unknown][] {
  if (prefix.split("__").length > MAX_FILTER_DEPTH)
    throw new QueryError(
      meta.name,
      `${prefix.slice(0, 60)}…: a nested filter deeper than ${MAX_FILTER_DEPTH} relationships is refused.`,
    );
  const out: [string, unknown][] = [];
  for (const [key, value] of Object.entries(where)) {
    const last = key.split("__").at(-1) ?? "";
    // A plain object is a nested filter, unless the key already ends in an operator whose value
    // is an object (`location__within: { latitude, longitude, radius }`).
    if (!isPlainObject(value) || (key.includes("__") && Object.hasOwn(LOOKUP_OPS, last))) {
      out.push([`${prefix}${key}`, value]);
      continue;
    }
    const [field = ""] = key.split("__");
    const spec = meta.fields.get(field);
    if (spec?.kind === "relationship" && !key.includes("__")) {
      const target = targetModel(meta.name, field, spec).meta;
      for (const [inner, innerValue] of Object.entries(value)) {
        const nested = Object.hasOwn(LOOKUP_OPS, inner) && (inner === "in" || inner === "isnull");
        if (nested) out.push([`${prefix}${key}__${inner}`, innerValue]);
        else out.push(...flattenNested(target, { [inner]: innerValue }, `${prefix}${key}__`));
      }
      continue;
    }
    for (const [op, opValue] of Object.entries(value)) {
      if (!Object.hasOwn(LOOKUP_OPS, op) || op === "")
        throw new QueryError(
          meta.name,
          `${prefix}${key}: { ${op}: … } is not an operator; use one of ${Object.keys(LOOKUP_OPS).filter(Boolean).join(", ")}.`,
          field,
        );
      out.push([`${prefix}${key}__${op}`, opValue]);
    }
  }
  return out;
}

/** Parses a filter object (either form; `undefined` values left out) into lookups. */
export function parseWhere(meta: ModelMeta, where: Readonly<Record<string, unknown>>): Lookup[] {
  return flattenNested(meta, where)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => parseLookup(meta, key, value));
}

/** Parses a filter object or a Q tree. */
export function toCondition(meta: ModelMeta, where: unknown, depth = 0): Condition {
  if (depth > MAX_FILTER_DEPTH)
    throw new QueryError(
      meta.name,
      `or()/and()/not() are nested more than ${MAX_FILTER_DEPTH} levels deep; flatten the filter (or() and and() take any number of filters).`,
    );
  if (isQ(where)) {
    const parts = where.parts.map((part) => toCondition(meta, part, depth + 1));
    if (where.op === "not")
      return { t: "not", c: parts.length === 1 ? (parts[0] as Condition) : { t: "and", c: parts } };
    return { t: where.op, c: parts };
  }
  if (!isPlainObject(where))
    throw new QueryError(
      meta.name,
      `filters are objects such as { title: "Dune" } or or()/and()/not(), received ${String(where)}.`,
    );
  return { t: "lookups", lookups: parseWhere(meta, where) };
}

/** The plan node of a condition; relationship traversals inside run their sub-queries first. */
export async function resolveCondition(meta: ModelMeta, condition: Condition): Promise<PlanNode> {
  switch (condition.t) {
    case "lookups":
      return resolveLookups(meta, condition.lookups);
    case "and":
      if (condition.c.length === 0) return { t: "set", key: classSet(meta) };
      return intersect(await Promise.all(condition.c.map((c) => resolveCondition(meta, c))));
    case "or":
      return union(await Promise.all(condition.c.map((c) => resolveCondition(meta, c))));
    case "not":
      // No index lists non-matches: take every instance (the class set) minus the matches.
      return {
        t: "diff",
        a: { t: "set", key: classSet(meta) },
        b: [await resolveCondition(meta, condition.c)],
      };
  }
}
