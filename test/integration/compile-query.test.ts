/**
 * The compiler cases of test/support/compile-cases.ts run on Redis: each compiled call, sent to
 * query.lua as it is, answers the expected instance keys on a small data set written raw.
 */
import { describe, expect, it } from "vitest";
import { getConnection } from "../../src/connection/connection.js";
import { compileQuery } from "../../src/query/compile.js";
import { runScript } from "../../src/scripts/run-script.js";
import { scripts } from "../../src/scripts/scripts.generated.js";
import { CASES, DATA } from "../support/compile-cases.js";
import { ON_CLUSTER, raw, useRedis } from "../support/redis.js";

useRedis();

/**
 * The cases' keys on the run's layout: on a cluster every key of one query must share a slot, so
 * the model part `CQ` is written as the tag `{CQ}` there (as popoto writes `{Model}`,
 * docs/storage.md §7), in the data, the keys and the members alike. Answers compare modulo tags.
 */
const inLayout = <T>(value: T): T =>
  (typeof value === "string"
    ? ON_CLUSTER
      ? value.replace(/(^|:)CQ(?=:|$)/g, "$1{CQ}")
      : value
    : Array.isArray(value)
      ? value.map(inLayout)
      : value !== null && typeof value === "object"
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [inLayout(k), inLayout(v)]))
        : value) as T;

/** A script reply with its bytes as text and the `{CQ}` tags undone, for comparing with the cases. */
const asText = (reply: unknown): unknown =>
  Array.isArray(reply)
    ? reply.map(asText)
    : Buffer.isBuffer(reply) || typeof reply === "string"
      ? String(reply).replaceAll("{CQ}", "CQ")
      : reply;

describe("compiled query.lua calls on Redis", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const data = inLayout(DATA);
      for (const [key, members] of Object.entries(data.sets)) await raw.sadd(key, ...members);
      for (const [key, scores] of Object.entries(data.sortedSets))
        for (const [member, score] of Object.entries(scores)) await raw.zadd(key, score, member);
      const call = compileQuery(inLayout(c.query));
      const reply = (await runScript(getConnection(), scripts.query, call.keys, call.args)) as unknown[];
      if (c.reply) expect(asText(reply)).toEqual(c.reply);
      // keys mode: total, gone, dists, resume, then one instance key per match.
      else expect(asText(reply.slice(4).map(String))).toEqual(c.answer);
    });
  }
});
