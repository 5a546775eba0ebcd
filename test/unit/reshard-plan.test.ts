/** The planning of an online reshard (src/shards/reshard-plan.ts), as data. */
import { describe, expect, it } from "vitest";
import { bucketOfText, bucketTag } from "../../src/keys/shards.js";
import {
  advance,
  bucketTextOf,
  destinationOf,
  formatDone,
  parseDone,
  planStart,
  remainingBuckets,
  sharedBuckets,
  splitBatch,
  startProgress,
} from "../../src/shards/reshard-plan.js";

describe("reshard planning", () => {
  it("starts, resumes, does nothing, or refuses another move", () => {
    const idle = { count: 4, done: new Set<number>(), epoch: 2 };
    expect(planStart(idle, 6)).toEqual({ kind: "start", from: 4, to: 6, epoch: 3 });
    expect(planStart(idle, 4)).toEqual({ kind: "nothing", count: 4 });
    const moving = { count: 4, to: 6, done: new Set([0, 1]), moving: 2, epoch: 3 };
    expect(planStart(moving, 6)).toEqual({ kind: "resume", from: 4, to: 6, epoch: 3 });
    expect(planStart(moving, 8)).toEqual({ kind: "other-move", from: 4, to: 6 });
    // a move back to the old count while moving is another move too
    expect(planStart(moving, 4)).toEqual({ kind: "other-move", from: 4, to: 6 });
  });

  it("lists the old buckets left, ascending, the one being moved included", () => {
    expect(remainingBuckets(4, new Set())).toEqual([0, 1, 2, 3]);
    expect(remainingBuckets(4, new Set([0, 2]))).toEqual([1, 3]);
    expect(remainingBuckets(4, new Set([0, 1, 2, 3]))).toEqual([]);
  });

  it("stores done as ascending numbers and reads back only old buckets", () => {
    expect(formatDone(new Set([3, 0, 1]))).toBe("0,1,3");
    expect(formatDone(new Set())).toBe("");
    expect([...parseDone("0,1,3", 4)]).toEqual([0, 1, 3]);
    expect([...parseDone("", 4)]).toEqual([]);
    expect([...parseDone(undefined, 4)]).toEqual([]);
    expect([...parseDone("0,x,7,2", 4)]).toEqual([0, 2]);
  });

  it("finds the tags two layouts share: same bucket number and salt", () => {
    const shared = sharedBuckets("RpEvent", 4, 6);
    for (let b = 0; b < 4; b++)
      expect(shared.includes(b)).toBe(bucketTag("RpEvent", b, 4) === bucketTag("RpEvent", b, 6));
    // "Event" happens to share buckets 0 and 1 between 4 and 6 (their first salts land in both slices)
    expect(sharedBuckets("Event", 4, 6)).toEqual([0, 1]);
    expect(sharedBuckets("RpEvent", 4, 4)).toEqual([0, 1, 2, 3]);
  });

  it("computes an instance's key in the new layout from the text that picks its bucket", () => {
    const oldKey = `${bucketTag("RpEvent", 1, 4)}:e17`;
    const to = destinationOf("RpEvent", oldKey, "e17", 6);
    expect(to.bucket).toBe(bucketOfText("e17", 6));
    expect(to.newKey).toBe(`${bucketTag("RpEvent", to.bucket, 6)}:e17`);
    expect(to.stays).toBe(to.newKey === oldKey);
    // a key whose tag is shared and whose bucket number is the same stays
    // bucket 1 of "Event" is shared by 4 and 6; a body in bucket 1 of both stays (fnv % 12 = 1)
    let body = "x0";
    for (let i = 0; i < 1000 && (bucketOfText(body, 4) !== 1 || bucketOfText(body, 6) !== 1); i++)
      body = `x${i}`;
    const stayer = destinationOf("Event", `${bucketTag("Event", 1, 4)}:${body}`, body, 6);
    expect(stayer.stays).toBe(true);
    const { stayers, movers } = splitBatch([to, stayer]);
    expect(stayers).toEqual([stayer]);
    expect(movers).toEqual(to.stays ? [] : [to]);
  });

  it("takes the bucket text from the key body, the shardBy part, or the parent's key body", () => {
    const key = `${bucketTag("RpEvent", 2, 4)}:a{&#58;}b:z`;
    expect(bucketTextOf({ keyFields: ["id", "x"], shardBy: undefined }, key)).toBe("a{&#58;}b:z");
    expect(bucketTextOf({ keyFields: ["id", "x"], shardBy: "x" }, key)).toBe("z");
    expect(bucketTextOf({ keyFields: ["id"], shardBy: "host" }, key, "{Host}:h1")).toBe("h1");
    expect(bucketTextOf({ keyFields: ["id"], shardBy: "host" }, key, "Host:h1")).toBe("h1");
    expect(bucketTextOf({ keyFields: ["id"], shardBy: "host" }, key, null)).toBe("a{&#58;}b:z");
  });

  it("adds each batch to the run's progress", () => {
    let p = startProgress(1, 4, 100);
    expect(p).toEqual({ bucket: 1, buckets: 4, moved: 0, scanned: 0, total: 100 });
    p = advance(p, 1, { scanned: 50, moved: 30 });
    p = advance(p, 3, { scanned: 10, moved: 10 });
    expect(p).toEqual({ bucket: 3, buckets: 4, moved: 40, scanned: 60, total: 100 });
  });
});
