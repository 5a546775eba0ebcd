/**
 * Which commands popoto lets a Redis Cluster send again after their node's connection closed
 * with the reply unsent (src/connection/reads.ts): reads only. The crash itself:
 * test/cluster/topology-faults.test.ts.
 */
import { describe, expect, it } from "vitest";
import { isReadOnlyCommand } from "../../src/connection/reads.js";
import { scripts } from "../../src/scripts/scripts.generated.js";

describe("isReadOnlyCommand", () => {
  it("reads by Redis's command table: HGETALL, SCAN, ZRANGE, EXISTS, SMEMBERS", () => {
    for (const name of ["hgetall", "HGETALL", "scan", "zrange", "exists", "smembers"])
      expect(isReadOnlyCommand(name, ["k"]), name).toBe(true);
  });

  it("never a write, nor an unknown command", () => {
    for (const name of ["hset", "del", "zadd", "publish", "wait", "nosuchcommand"])
      expect(isReadOnlyCommand(name, ["k"]), name).toBe(false);
  });

  it("query.lua by SHA or source (Buffer or string); the write scripts never", () => {
    expect(isReadOnlyCommand("evalsha", [scripts.query.sha, 1, "k"])).toBe(true);
    expect(isReadOnlyCommand("evalsha", [Buffer.from(scripts.query.sha), 1, "k"])).toBe(true);
    expect(isReadOnlyCommand("eval", [scripts.query.source, 1, "k"])).toBe(true);
    for (const script of [scripts.write, scripts.commute])
      for (const [name, first] of [
        ["evalsha", script.sha],
        ["eval", script.source],
      ] as const)
        expect(isReadOnlyCommand(name, [first, 1, "k"]), `${name} ${script.sha}`).toBe(false);
  });
});
