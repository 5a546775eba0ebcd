/**
 * The plan tree: `PlanNode`, the set of instance keys one index structure holds, and the union and
 * intersection that combine nodes. Every node builder under query/plan/ returns these.
 */

/**
 * A query plan node: a set of instance keys, described by the index structure that holds it.
 * `query.lua` evaluates the tree in Redis; nothing here touches Redis.
 */
export type PlanNode =
  | { readonly t: "set"; readonly key: string }
  | { readonly t: "zr"; readonly key: string; readonly min: string; readonly max: string }
  | {
      readonly t: "lex";
      readonly key: string;
      readonly min: Buffer;
      readonly max: Buffer;
      readonly scan: LexScan;
    }
  | { readonly t: "lexs"; readonly key: string; readonly needle: string; readonly scan: LexScan }
  /** A string lookup on a field without lex indexes: every instance's value compared. */
  | { readonly t: "scan"; readonly scan: LexScan }
  | { readonly t: "part"; readonly key: string; readonly position: number; readonly part: string }
  | { readonly t: "keys"; readonly keys: readonly string[] }
  | {
      readonly t: "geo";
      readonly key: string;
      readonly longitude: number;
      readonly latitude: number;
      readonly member: string | undefined;
      readonly radius: number;
      readonly unit: GeoUnit;
    }
  | {
      /** Instances whose relationship is null: the None set, plus those whose stored value is nil. */
      readonly t: "nulls";
      readonly key: string;
      readonly classKey: string;
      readonly field: string;
    }
  | { readonly t: "and"; readonly c: readonly PlanNode[] }
  | { readonly t: "or"; readonly c: readonly PlanNode[] }
  | { readonly t: "diff"; readonly a: PlanNode; readonly b: readonly PlanNode[] }
  | { readonly t: "none" };

/**
 * How query.lua answers a string lookup when the lex index is incomplete (instances written by a
 * client that does not keep it): compare each instance's value, read from its key (`position`,
 * 1-based after the model) or its hash (`field`).
 */
export interface LexScan {
  readonly classKey: string;
  readonly noneKey: string;
  readonly position: number;
  readonly field: string;
  readonly mode: "prefix" | "suffix" | "contains";
  readonly needle: string;
}

/** Units a geo radius can be given in (Redis's, which are Popoto's). */
export type GeoUnit = "m" | "km" | "ft" | "mi";

/** The empty set: matches nothing, and empties any intersection it enters. */
export const NONE: PlanNode = { t: "none" };

/** Union, simplified: no inputs is nothing, one input is itself. */
export const union = (nodes: readonly PlanNode[]): PlanNode => {
  const useful = nodes.filter((n) => n.t !== "none");
  return useful.length === 0 ? NONE : useful.length === 1 ? (useful[0] as PlanNode) : { t: "or", c: useful };
};

/** Intersection, simplified: one input is itself; an empty input empties it. */
export const intersect = (nodes: readonly PlanNode[]): PlanNode =>
  nodes.some((n) => n.t === "none")
    ? NONE
    : nodes.length === 1
      ? (nodes[0] as PlanNode)
      : { t: "and", c: nodes };
