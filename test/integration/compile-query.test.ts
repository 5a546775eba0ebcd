/**
 * The compiler cases of test/support/compile-cases.ts run on Redis: each compiled call, sent to
 * query.lua as it is, answers the expected instance keys on a small data set written raw.
 */
import { expect, it } from "vitest";
import { getConnection } from "../../src/connection/connection.js";
import { compileQuery } from "../../src/query/compile.js";
import { runScript } from "../../src/scripts/run-script.js";
import { scripts } from "../../src/scripts/scripts.generated.js";
import { CASES, DATA } from "../support/compile-cases.js";
import { raw, standaloneDescribe, useRedis } from "../support/redis.js";

useRedis();

/** A script reply with its bytes as text, for comparing with the cases. */
const asText = (reply: unknown): unknown =>
  Array.isArray(reply) ? reply.map(asText) : Buffer.isBuffer(reply) ? reply.toString("utf8") : reply;

// The keys are written raw, without the cluster layout's hash tags.
standaloneDescribe("keys spelled for one server")("compiled query.lua calls on Redis", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      for (const [key, members] of Object.entries(DATA.sets)) await raw.sadd(key, ...members);
      for (const [key, scores] of Object.entries(DATA.sortedSets))
        for (const [member, score] of Object.entries(scores)) await raw.zadd(key, score, member);
      const call = compileQuery(c.query);
      const reply = (await runScript(getConnection(), scripts.query, call.keys, call.args)) as unknown[];
      if (c.reply) expect(asText(reply)).toEqual(c.reply);
      // keys mode: total, gone, dists, resume, then one instance key per match.
      else expect(reply.slice(4).map(String)).toEqual(c.answer);
    });
  }
});
