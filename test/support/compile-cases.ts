/**
 * Query compiler cases as data: a plan, the query.lua call compileQuery must produce for it (KEYS
 * and ARGV, pinned like a client library pins the SQL it compiles), and what that call answers on
 * a small data set. test/unit/compile-query.test.ts checks the calls; test/integration/
 * compile-query.test.ts runs them on Redis.
 */
import type { ServerQuery } from "../../src/query/compile.js";

/** The small data set every case runs on: sets and sorted sets of instance keys. */
export const DATA = {
  sets: {
    "$KeyF:CQ:genre:sf": ["CQ:a", "CQ:b", "CQ:c"],
    "$KeyF:CQ:genre:fantasy": ["CQ:d"],
    "$KeyF:CQ:lang:en": ["CQ:a", "CQ:d"],
    "$Class:CQ": ["CQ:a", "CQ:b", "CQ:c", "CQ:d"],
    "$TagF:CQ:tags:a": ["CQ:a", "CQ:b"],
    "$TagF:CQ:tags:b": ["CQ:b", "CQ:c"],
    "$CompositeF:CQ:genre+lang:sf:en": ["CQ:a"],
  },
  sortedSets: { "$SortF:CQ:pages": { "CQ:a": 100, "CQ:b": 300, "CQ:c": 500, "CQ:d": 412 } },
} as const;

export interface CompileCase {
  readonly name: string;
  readonly query: ServerQuery;
  readonly keys: readonly string[];
  /** ARGV: the plan as JSON (parsed here, for readable diffs), then the strings it names. */
  readonly plan: unknown;
  readonly strings: readonly string[];
  /** The instance keys the call answers, in the order it returns them. */
  readonly answer: readonly string[];
  /** For the modes that answer figures (stats, countBy): the whole reply, bytes as text. */
  readonly reply?: readonly unknown[];
}

const keys = { mode: "keys", exists: false } as const;

export const CASES: readonly CompileCase[] = [
  {
    name: "one set",
    query: { ...keys, node: { t: "set", key: "$KeyF:CQ:genre:fantasy" } },
    keys: ["$KeyF:CQ:genre:fantasy"],
    plan: { n: { t: "set", k: 1 }, mode: "keys", offset: 0, limit: -1, exists: false },
    strings: [],
    answer: ["CQ:d"],
  },
  {
    name: "a score range, ordered by the same sorted set descending (the key is sent once)",
    query: {
      ...keys,
      node: { t: "zr", key: "$SortF:CQ:pages", min: "300", max: "+inf" },
      order: { by: "score", key: "$SortF:CQ:pages", desc: true },
    },
    keys: ["$SortF:CQ:pages"],
    plan: {
      n: { t: "zr", k: 1, min: 2, max: 3 },
      mode: "keys",
      offset: 0,
      limit: -1,
      exists: false,
      order: { k: 1, desc: true },
    },
    strings: ["300", "+inf"],
    answer: ["CQ:c", "CQ:d", "CQ:b"],
  },
  {
    name: "and of a set and a range, paged",
    query: {
      ...keys,
      node: {
        t: "and",
        c: [
          { t: "set", key: "$KeyF:CQ:genre:sf" },
          { t: "zr", key: "$SortF:CQ:pages", min: "200", max: "+inf" },
        ],
      },
      order: { by: "score", key: "$SortF:CQ:pages", desc: false },
      offset: 1,
      limit: 1,
    },
    keys: ["$KeyF:CQ:genre:sf", "$SortF:CQ:pages"],
    plan: {
      n: {
        t: "and",
        c: [
          { t: "set", k: 1 },
          { t: "zr", k: 2, min: 2, max: 3 },
        ],
      },
      mode: "keys",
      offset: 1,
      limit: 1,
      exists: false,
      order: { k: 2, desc: false },
    },
    strings: ["200", "+inf"],
    answer: ["CQ:c"],
  },
  {
    name: "or, then minus a set, ordered by key",
    query: {
      ...keys,
      node: {
        t: "diff",
        a: {
          t: "or",
          c: [
            { t: "set", key: "$KeyF:CQ:genre:sf" },
            { t: "set", key: "$KeyF:CQ:genre:fantasy" },
          ],
        },
        b: [{ t: "set", key: "$KeyF:CQ:lang:en" }],
      },
      order: { by: "key", desc: false },
    },
    keys: ["$KeyF:CQ:genre:sf", "$KeyF:CQ:genre:fantasy", "$KeyF:CQ:lang:en"],
    plan: {
      n: {
        t: "diff",
        a: {
          t: "or",
          c: [
            { t: "set", k: 1 },
            { t: "set", k: 2 },
          ],
        },
        b: [{ t: "set", k: 3 }],
      },
      mode: "keys",
      offset: 0,
      limit: -1,
      exists: false,
      order: { key: true, desc: false },
    },
    strings: [],
    answer: ["CQ:b", "CQ:c"],
  },
  {
    name: "a keyset cursor in score order, descending: the matches after (300, CQ:b)",
    query: {
      ...keys,
      node: { t: "set", key: "$KeyF:CQ:genre:sf" },
      order: { by: "score", key: "$SortF:CQ:pages", desc: true },
      limit: 2,
      after: { score: 300, key: "CQ:b" },
    },
    keys: ["$KeyF:CQ:genre:sf", "$SortF:CQ:pages"],
    plan: {
      n: { t: "set", k: 1 },
      mode: "keys",
      offset: 0,
      limit: 2,
      exists: false,
      after: { s: 2, k: 3 },
      order: { k: 2, desc: true },
    },
    strings: ["300", "CQ:b"],
    answer: ["CQ:a"],
  },
  {
    name: "a keyset cursor whose member is gone: the position comes from its score (ordered walk)",
    query: {
      ...keys,
      node: { t: "set", key: "$Class:CQ" },
      order: { by: "score", key: "$SortF:CQ:pages", desc: false },
      limit: 1,
      after: { score: 400, key: "CQ:x" },
    },
    keys: ["$Class:CQ", "$SortF:CQ:pages"],
    plan: {
      n: { t: "set", k: 1 },
      mode: "keys",
      offset: 0,
      limit: 1,
      exists: false,
      after: { s: 2, k: 3 },
      order: { k: 2, desc: false },
    },
    strings: ["400", "CQ:x"],
    answer: ["CQ:d"],
  },
  {
    name: "a keyset cursor in key order: the keys after CQ:b",
    query: {
      ...keys,
      node: { t: "set", key: "$Class:CQ" },
      order: { by: "key", desc: false },
      after: { key: "CQ:b" },
    },
    keys: ["$Class:CQ"],
    plan: {
      n: { t: "set", k: 1 },
      mode: "keys",
      offset: 0,
      limit: -1,
      exists: false,
      after: { k: 2 },
      order: { key: true, desc: false },
    },
    strings: ["CQ:b"],
    answer: ["CQ:c", "CQ:d"],
  },
  {
    name: "stats: count, sum, least and greatest score of the matches",
    query: {
      mode: "stats",
      exists: false,
      node: { t: "set", key: "$KeyF:CQ:genre:sf" },
      stats: { key: "$SortF:CQ:pages" },
    },
    keys: ["$KeyF:CQ:genre:sf", "$SortF:CQ:pages"],
    plan: { n: { t: "set", k: 1 }, mode: "stats", offset: 0, limit: -1, exists: false, z: 2 },
    strings: [],
    answer: [],
    reply: [3, [], "900", "CQ:a", "100", null, "CQ:c", "500", null],
  },
  {
    name: "countBy a key part: one group per value with an instance key holding it",
    query: {
      mode: "countBy",
      exists: false,
      node: { t: "set", key: "$KeyF:CQ:genre:fantasy" },
      countBy: { position: 1 },
    },
    keys: ["$KeyF:CQ:genre:fantasy"],
    plan: { n: { t: "set", k: 1 }, mode: "countBy", offset: 0, limit: -1, exists: false, by: { p: 1 } },
    strings: [],
    answer: [],
    reply: [1, [], "CQ:d", 1],
  },
  {
    name: "literal instance keys (a lookup by key)",
    query: { ...keys, node: { t: "keys", keys: ["CQ:b", "CQ:zzz"] }, exists: true },
    keys: ["CQ:b", "CQ:zzz"],
    plan: { n: { t: "keys", k: [1, 2] }, mode: "keys", offset: 0, limit: -1, exists: true },
    strings: [],
    answer: [],
  },
  {
    name: "tags__all: the intersection of the tags' $TagF sets (tags__any is their union)",
    query: {
      ...keys,
      node: {
        t: "and",
        c: [
          { t: "set", key: "$TagF:CQ:tags:a" },
          { t: "set", key: "$TagF:CQ:tags:b" },
        ],
      },
    },
    keys: ["$TagF:CQ:tags:a", "$TagF:CQ:tags:b"],
    plan: {
      n: {
        t: "and",
        c: [
          { t: "set", k: 1 },
          { t: "set", k: 2 },
        ],
      },
      mode: "keys",
      offset: 0,
      limit: -1,
      exists: false,
    },
    strings: [],
    answer: ["CQ:b"],
  },
  {
    name: "every field of a composite index by equality: its one $CompositeF set",
    query: { ...keys, node: { t: "set", key: "$CompositeF:CQ:genre+lang:sf:en" } },
    keys: ["$CompositeF:CQ:genre+lang:sf:en"],
    plan: { n: { t: "set", k: 1 }, mode: "keys", offset: 0, limit: -1, exists: false },
    strings: [],
    answer: ["CQ:a"],
  },
];
