import { KeyList } from "../scripts/key-list.js";
import type { ScriptArg } from "../scripts/run-script.js";
import type { LexScan, PlanNode } from "./plan.js";

/** How query.lua should order the matches before paging. */
export type ServerOrder =
  | { readonly by: "score"; readonly key: string; readonly desc: boolean }
  | { readonly by: "key"; readonly desc: boolean }
  | { readonly by: "geo" };

export type QueryMode = "load" | "keys" | "count" | "fields" | "stats" | "countBy";

/** A keyset cursor: the matches after this score (score order) and instance key, in the order. */
export interface After {
  readonly score?: number | undefined;
  readonly key: string;
}

export interface ServerQuery {
  readonly node: PlanNode;
  readonly mode: QueryMode;
  readonly fields?: readonly string[] | undefined;
  readonly order?: ServerOrder | undefined;
  readonly offset?: number | undefined;
  readonly limit?: number | undefined;
  /** Check each match's hash exists (models with a ttl, whose index entries outlive expired hashes). */
  readonly exists: boolean;
  /** Most members the script may read (0: no limit); beyond it the script answers "STEP". */
  readonly budget?: number | undefined;
  /** Continue an ordered walk at this position of the ordered range. */
  readonly from?: number | undefined;
  /** Only the matches after this cursor in the order (page()). */
  readonly after?: After | undefined;
  /** "stats" mode: the sorted set whose scores are aggregated, and the field read for min and max. */
  readonly stats?: { readonly key: string; readonly field?: string | undefined } | undefined;
  /** "countBy" mode: group by the key part at this position, or by a hash field's stored bytes. */
  readonly countBy?: { readonly position: number } | { readonly field: string } | undefined;
  /** A sharded bucket read: its `$Retired` set and the reader's bucket count (query.lua answers RETIRED). */
  readonly retired?: { readonly key: string; readonly member: string } | undefined;
}

/** A query.lua call as data: the keys it reads and its arguments. */
export interface QueryCall {
  readonly keys: readonly string[];
  readonly args: readonly ScriptArg[];
}

type Json = number | boolean | string | Json[] | { [name: string]: Json };

/** Turns a plan into query.lua's KEYS and ARGV: keys and strings travel by position, the tree as JSON. */
export function compileQuery(query: ServerQuery): QueryCall {
  const keyList = new KeyList();
  const args: ScriptArg[] = [""];
  const key = (name: string): number => keyList.position(name);
  const arg = (value: ScriptArg): number => {
    args.push(value);
    return args.length; // ARGV is 1-based and ARGV[1] is the plan
  };
  const scan = (s: LexScan): Json => ({
    c: key(s.classKey),
    z: key(s.noneKey),
    p: s.position,
    f: arg(s.field),
    m: s.mode,
    n: arg(s.needle),
  });
  const node = (n: PlanNode): Json => {
    switch (n.t) {
      case "set":
        return { t: "set", k: key(n.key) };
      case "zr":
        return { t: "zr", k: key(n.key), min: arg(n.min), max: arg(n.max) };
      case "lex":
        return { t: "lex", k: key(n.key), min: arg(n.min), max: arg(n.max), scan: scan(n.scan) };
      case "lexs":
        return { t: "lexs", k: key(n.key), s: arg(n.needle), scan: scan(n.scan) };
      case "nulls":
        return { t: "nulls", k: key(n.key), c: key(n.classKey), f: arg(n.field) };
      case "scan":
        return { t: "scan", scan: scan(n.scan) };
      case "part":
        return { t: "part", k: key(n.key), p: n.position, v: arg(n.part) };
      case "keys":
        return { t: "keys", k: n.keys.map(key) };
      case "geo":
        return n.member === undefined
          ? {
              t: "geo",
              k: key(n.key),
              lon: arg(n.longitude),
              lat: arg(n.latitude),
              r: arg(n.radius),
              u: arg(n.unit),
            }
          : { t: "geo", k: key(n.key), m: arg(n.member), r: arg(n.radius), u: arg(n.unit) };
      case "and":
      case "or":
        return { t: n.t, c: n.c.map(node) };
      case "diff":
        return { t: "diff", a: node(n.a), b: n.b.map(node) };
      case "none":
        return { t: "none" };
    }
  };
  const plan: Record<string, Json> = {
    n: node(query.node),
    mode: query.mode,
    offset: query.offset ?? 0,
    limit: query.limit ?? -1,
    exists: query.exists,
  };
  if (query.budget) plan["budget"] = query.budget;
  if (query.from !== undefined) plan["from"] = query.from;
  if (query.fields) plan["f"] = query.fields.map((f) => arg(f));
  if (query.after)
    plan["after"] =
      query.after.score === undefined
        ? { k: arg(query.after.key) }
        : // String(number) is the shortest text that parses back to the same double, in Lua too.
          { s: arg(String(query.after.score)), k: arg(query.after.key) };
  if (query.stats) {
    plan["z"] = key(query.stats.key);
    if (query.stats.field !== undefined) plan["hf"] = arg(query.stats.field);
  }
  if (query.countBy)
    plan["by"] =
      "position" in query.countBy ? { p: query.countBy.position } : { f: arg(query.countBy.field) };
  if (query.retired) {
    plan["rt"] = key(query.retired.key);
    plan["rm"] = arg(query.retired.member);
  }
  if (query.order?.by === "score") plan["order"] = { k: key(query.order.key), desc: query.order.desc };
  else if (query.order?.by === "key") plan["order"] = { key: true, desc: query.order.desc };
  else if (query.order?.by === "geo") plan["order"] = { geo: true };
  args[0] = JSON.stringify(plan);
  return { keys: keyList.keys, args };
}
