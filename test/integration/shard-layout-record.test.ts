/**
 * A sharded model's layout record (`$Shards:…`, docs/storage.md §7a "Resharding"): recorded at a
 * connection's first use, read from Redis when it differs from the declared count, read again on
 * request, and spelled by layout views.
 */
import { describe, expect, it } from "vitest";
import { IndexedField, KeyField, Model } from "../../src/index.js";
import {
  classSet,
  inBucket,
  instanceKey,
  layoutView,
  retiredSet,
  unsharded,
  declaredModel,
  allBuckets,
} from "../../src/keys/keys.js";
import { bucketTag } from "../../src/keys/shards.js";
import { cachedLayout, layoutOf, refreshLayout } from "../../src/shards/layout.js";
import { layoutKey, raw, useRedis } from "../support/redis.js";

useRedis();

class LrEvent extends Model("LrEvent", { id: KeyField(), kind: IndexedField() }, { shards: 4 }) {}
class LrOther extends Model("LrOther", { id: KeyField() }, { shards: 3 }) {}

const record = layoutKey("$Shards:LrEvent");

describe("the layout record", () => {
  it("records the declared count at the first use and reads it back", async () => {
    expect(await raw.exists(record)).toBe(0);
    const layout = await layoutOf(LrEvent.meta);
    expect(layout).toEqual({ count: 4, done: new Set(), epoch: 0 });
    expect(await raw.hgetall(record)).toEqual({ count: "4" });
    expect(cachedLayout(LrEvent.meta)).toBe(layout);
  });

  it("uses the stored count over the declared one, and warns once", async () => {
    await raw.hset(record, "count", "6", "epoch", "2");
    const warnings: string[] = [];
    const listen = (warning: Error & { code?: string }): void => {
      if (warning.code === "POPOTO_SHARDS_MISMATCH") warnings.push(warning.message);
    };
    process.on("warning", listen);
    try {
      expect(await layoutOf(LrEvent.meta)).toEqual({ count: 6, done: new Set(), epoch: 2 });
      await refreshLayout(LrEvent.meta);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listen);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("npx popoto reshard LrEvent --shards 4");
    expect(await raw.hget(record, "count")).toBe("6");
  });

  it("reads a move in progress only when asked again", async () => {
    expect((await layoutOf(LrOther.meta)).count).toBe(3);
    await raw.hset(layoutKey("$Shards:LrOther"), "to", "5", "done", "0", "moving", "1", "epoch", "1");
    expect((await layoutOf(LrOther.meta)).to).toBeUndefined();
    const moving = await refreshLayout(LrOther.meta);
    expect(moving).toEqual({ count: 3, to: 5, done: new Set([0]), moving: 1, epoch: 1 });
  });

  it("shares one read between calls made meanwhile", async () => {
    const [a, b] = await Promise.all([layoutOf(LrOther.meta), layoutOf(inBucket(LrOther.meta, 2))]);
    expect(a).toBe(b);
  });
});

describe("layout views", () => {
  it("spell another count's tags, bucket views included", () => {
    const six = layoutView(LrEvent.meta, 6);
    expect(six.shards).toBe(6);
    expect(layoutView(LrEvent.meta, 4)).toBe(LrEvent.meta);
    expect(layoutView(inBucket(six, 2), 6)).toBe(six);
    const bucket = inBucket(six, 5);
    expect(unsharded(bucket)).toBe(six);
    expect(declaredModel(bucket)).toBe(LrEvent.meta);
    expect(instanceKey(bucket, ["e1"])).toBe(`${bucketTag("LrEvent", 5, 6)}:e1`);
    expect(classSet(bucket)).toBe(`$Class:${bucketTag("LrEvent", 5, 6)}`);
    expect(retiredSet(inBucket(LrEvent.meta, 3))).toBe(`$Retired:${bucketTag("LrEvent", 3, 4)}`);
    expect(allBuckets(six)).toHaveLength(6);
  });
});
