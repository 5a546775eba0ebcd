/**
 * The layout record of a sharded model as data (docs/storage.md §7a "Resharding"): parsing,
 * writing back, where a write goes and in which order a read covers the buckets.
 */
import { describe, expect, it } from "vitest";
import {
  layoutFields,
  parseLayout,
  readPhases,
  routeWrite,
  type Layout,
} from "../../src/shards/layout-record.js";

const moving = (done: number[], moving?: number): Layout => ({
  count: 4,
  to: 6,
  done: new Set(done),
  moving,
  epoch: 1,
});

describe("parseLayout", () => {
  it("is the declared layout when there is no record", () => {
    expect(parseLayout({}, 24)).toEqual({ count: 24, done: new Set(), epoch: 0 });
  });

  it("reads a settled record and ignores moving fields without a target", () => {
    expect(parseLayout({ count: "8", epoch: "2", done: "1,2" }, 24)).toEqual({
      count: 8,
      done: new Set(),
      epoch: 2,
    });
  });

  it("reads a move in progress", () => {
    expect(parseLayout({ count: "4", to: "6", done: "0,2", moving: "3", epoch: "1" }, 4)).toEqual(
      moving([0, 2], 3),
    );
  });

  it("drops what makes no sense rather than trusting it", () => {
    const layout = parseLayout({ count: "4", to: "4", done: "9", moving: "7" }, 4);
    expect(layout).toEqual({ count: 4, done: new Set(), epoch: 0 });
    const odd = parseLayout({ count: "4", to: "6", done: "1,x,9,", moving: "12" }, 4);
    expect([...odd.done]).toEqual([1]);
    expect(odd.moving).toBeUndefined();
    expect(parseLayout({ count: "zero" }, 24).count).toBe(24);
  });

  it("round-trips through layoutFields", () => {
    for (const layout of [moving([3, 1], 2), moving([]), { count: 6, done: new Set<number>(), epoch: 3 }])
      expect(parseLayout(layoutFields(layout), 99)).toEqual(layout);
    expect(layoutFields(moving([3, 1], 2))).toEqual({
      count: "4",
      to: "6",
      done: "1,3",
      moving: "2",
      epoch: "1",
    });
  });
});

describe("routeWrite", () => {
  // Text whose bucket is 5 of 6 and 1 of 4 (as 5 mod 4): the route must pick by the layout.
  const bucketIn = (count: number): number => 13 % count;

  it("writes in the one layout when nothing moves", () => {
    expect(routeWrite({ count: 4, done: new Set(), epoch: 0 }, bucketIn)).toEqual({ count: 4, bucket: 1 });
  });

  it("writes in the old layout while its bucket waits its turn", () => {
    expect(routeWrite(moving([0], 2), bucketIn)).toEqual({ count: 4, bucket: 1 });
  });

  it("waits while its bucket is being emptied", () => {
    expect(routeWrite(moving([0], 1), bucketIn)).toBe("wait");
  });

  it("writes in the new layout once its bucket is emptied", () => {
    expect(routeWrite(moving([0, 1], 2), bucketIn)).toEqual({ count: 6, bucket: 1 });
    const other = (count: number): number => 11 % count;
    expect(routeWrite(moving([3]), other)).toEqual({ count: 6, bucket: 5 });
  });
});

describe("readPhases", () => {
  it("reads every bucket at once when nothing moves", () => {
    expect(readPhases({ count: 3, done: new Set(), epoch: 0 })).toEqual([{ count: 3, buckets: [0, 1, 2] }]);
  });

  it("reads the old buckets not emptied first, then every new bucket", () => {
    expect(readPhases(moving([0, 2], 3))).toEqual([
      { count: 4, buckets: [1, 3] },
      { count: 6, buckets: [0, 1, 2, 3, 4, 5] },
    ]);
  });

  it("reads only the new layout once every old bucket is emptied", () => {
    expect(readPhases(moving([0, 1, 2, 3]))).toEqual([{ count: 6, buckets: [0, 1, 2, 3, 4, 5] }]);
  });
});
