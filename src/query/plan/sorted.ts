/**
 * Lookups on a SortedField (`$SortF` / `$SortedKeyF` sorted sets): equality, `__gt`, `__gte`,
 * `__lt`, `__lte` and `__between` narrow one score range; `__in` is a union of one-score ranges.
 */
import { toScore } from "../../encoding/scores.js";
import { QueryError, formatValue } from "../../errors.js";
import type { FieldSpec } from "../../fields/field.js";
import type { SortedType } from "../../fields/field-type.js";
import type { ModelMeta } from "../../model/meta.js";
import type { Lookup } from "../lookup.js";
import { intersect, union, type PlanNode } from "./node.js";
import { listValue, queryValue } from "./values.js";

const formatScore = (score: number): string => (Object.is(score, -0) ? "0" : String(score));

interface Bounds {
  min: string;
  max: string;
}

/** The node for all of a filter's lookups on one sorted field, read from the sorted set `key`. */
export function sortedNode(
  meta: ModelMeta,
  spec: FieldSpec,
  lookups: readonly Lookup[],
  key: string,
): PlanNode {
  const score = (lookup: Lookup, value: unknown): number =>
    toScore(spec.type as SortedType, queryValue(meta, spec, lookup, value));
  const nodes: PlanNode[] = [];
  let bounds: Bounds | undefined;
  // Several range lookups on one field narrow one range, so Redis can still order and page it.
  const narrow = (min: [number, boolean] | undefined, max: [number, boolean] | undefined): void => {
    const current = bounds ?? { min: "-inf", max: "+inf" };
    const parse = (bound: string): [number, boolean] =>
      bound.startsWith("(") ? [Number(bound.slice(1)), true] : [Number(bound), false];
    if (min) {
      const [value, open] = min;
      const [old, oldOpen] = parse(current.min);
      if (current.min === "-inf" || value > old || (value === old && open && !oldOpen))
        current.min = `${open ? "(" : ""}${formatScore(value)}`;
    }
    if (max) {
      const [value, open] = max;
      const [old, oldOpen] = parse(current.max);
      if (current.max === "+inf" || value < old || (value === old && open && !oldOpen))
        current.max = `${open ? "(" : ""}${formatScore(value)}`;
    }
    bounds = current;
  };
  for (const lookup of lookups) {
    switch (lookup.op) {
      case "": {
        const s = score(lookup, lookup.value);
        narrow([s, false], [s, false]);
        break;
      }
      case "gt":
        narrow([score(lookup, lookup.value), true], undefined);
        break;
      case "gte":
        narrow([score(lookup, lookup.value), false], undefined);
        break;
      case "lt":
        narrow(undefined, [score(lookup, lookup.value), true]);
        break;
      case "lte":
        narrow(undefined, [score(lookup, lookup.value), false]);
        break;
      case "between": {
        const pair = lookup.value;
        if (!Array.isArray(pair) || pair.length !== 2)
          throw new QueryError(
            meta.name,
            `${lookup.source} expects [low, high] (both inclusive), received ${formatValue(pair)}.`,
            lookup.field,
          );
        narrow([score(lookup, pair[0]), false], [score(lookup, pair[1]), false]);
        break;
      }
      case "in":
        nodes.push(
          union(
            listValue(meta, lookup).map((v) => {
              const s = formatScore(score(lookup, v));
              return { t: "zr", key, min: s, max: s };
            }),
          ),
        );
        break;
      default:
        throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
    }
  }
  if (bounds) nodes.unshift({ t: "zr", key, min: bounds.min, max: bounds.max });
  return intersect(nodes);
}
