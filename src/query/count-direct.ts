import type { PlanNode } from "./plan.js";

/**
 * A count Redis answers with one command on one index, without query.lua: the cardinality of a
 * set (SCARD), of a score range (ZCOUNT), or of a lex range (ZLEXCOUNT), which is exact only while
 * the lex index is complete, so that case carries the counts that prove it (see `lexComplete` in
 * query.lua: one lex member per instance with a value).
 */
export type DirectCount =
  | { readonly command: "none" }
  | { readonly command: "scard"; readonly key: string }
  | { readonly command: "zcount"; readonly key: string; readonly min: string; readonly max: string }
  | {
      readonly command: "zlexcount";
      readonly key: string;
      readonly min: Buffer;
      readonly max: Buffer;
      /** Complete when ZCARD key = SCARD classKey - SCARD noneKey. */
      readonly classKey: string;
      readonly noneKey: string;
    };

/**
 * The direct count of a plan, or undefined when the plan needs query.lua: several indexes (their
 * intersection or union), a substring scan, key parts, geo, or a model with a ttl (its index
 * entries outlive expired hashes, so every member's hash must be checked with EXISTS).
 */
export function directCount(node: PlanNode, ttl: boolean): DirectCount | undefined {
  if (ttl) return undefined;
  switch (node.t) {
    case "none":
      return { command: "none" };
    case "set":
      return { command: "scard", key: node.key };
    case "zr":
      return { command: "zcount", key: node.key, min: node.min, max: node.max };
    case "lex":
      return {
        command: "zlexcount",
        key: node.key,
        min: node.min,
        max: node.max,
        classKey: node.scan.classKey,
        noneKey: node.scan.noneKey,
      };
    default:
      return undefined;
  }
}
