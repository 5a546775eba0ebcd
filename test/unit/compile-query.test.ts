/**
 * The query compiler's output as data: for each plan, the exact KEYS and ARGV of the query.lua
 * call. The same cases run on Redis in test/integration/compile-query.test.ts.
 */
import { describe, expect, it } from "vitest";
import { compileQuery } from "../../src/query/compile.js";
import { CASES } from "../support/compile-cases.js";

describe("compileQuery", () => {
  for (const c of CASES) {
    it(c.name, () => {
      const call = compileQuery(c.query);
      expect(call.keys).toEqual(c.keys);
      const [plan, ...strings] = call.args;
      expect(JSON.parse(String(plan))).toEqual(c.plan);
      expect(strings).toEqual(c.strings);
    });
  }

  it("sends each key once, however often the plan names it", () => {
    const call = compileQuery({
      mode: "count",
      exists: false,
      node: {
        t: "and",
        c: [
          { t: "set", key: "$KeyF:CQ:genre:sf" },
          {
            t: "or",
            c: [
              { t: "set", key: "$KeyF:CQ:genre:sf" },
              { t: "set", key: "$KeyF:CQ:lang:en" },
            ],
          },
        ],
      },
    });
    expect(call.keys).toEqual(["$KeyF:CQ:genre:sf", "$KeyF:CQ:lang:en"]);
  });
});
