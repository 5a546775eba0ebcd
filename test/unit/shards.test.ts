/** Bucket hashing and bucket tags of sharded models (docs/storage.md §7a), as data. */
import { describe, expect, it } from "vitest";
import { bucketOfKey, bucketOfText, bucketTag, crc16, fnv1a32, keySlot } from "../../src/keys/shards.js";

describe("shard hashing", () => {
  it("computes CRC16-XMODEM and Redis Cluster slots as Redis does", () => {
    expect(crc16("123456789")).toBe(0x31c3);
    // CLUSTER KEYSLOT values from the Redis Cluster specification's examples and a live server.
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("bar")).toBe(5061);
    expect(keySlot("{user1000}.following")).toBe(keySlot("user1000"));
    expect(keySlot("foo{}{bar}")).toBe(crc16("foo{}{bar}") % 16384);
  });

  it("hashes bucket texts with FNV-1a 32", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
    expect(bucketOfText("foobar", 24)).toBe(0xbf9cf968 % 24);
  });

  it("puts bucket b's tag in the b-th 1/K of the slot space, so buckets split evenly over 3, 6, 12 and 24 masters", () => {
    const K = 24;
    const slots = Array.from({ length: K }, (_, b) => keySlot(`${bucketTag("Event", b, K)}:x`));
    slots.forEach((slot, b) => {
      expect(slot).toBeGreaterThanOrEqual(Math.floor((b * 16384) / K));
      expect(slot).toBeLessThan(Math.floor(((b + 1) * 16384) / K));
    });
    for (const masters of [3, 6, 12, 24]) {
      // redis-cli --cluster create gives master m the slots [m * 16384 / M, (m + 1) * 16384 / M).
      const perMaster = new Array<number>(masters).fill(0);
      for (const slot of slots) perMaster[Math.floor((slot * masters) / 16384)]! += 1;
      expect(perMaster).toEqual(new Array<number>(masters).fill(K / masters));
    }
    expect(bucketTag("Event", 0, 24)).toMatch(/^\{Event#0\.\d+\}$/);
  });

  it("reads the bucket back from a key's tag, and only a tag the model would write", () => {
    const tag = bucketTag("Event", 5, 24);
    expect(bucketOfKey("Event", 24, `${tag}:x`)).toBe(5);
    expect(bucketOfKey("Other", 24, `${tag}:x`)).toBeUndefined();
    expect(bucketOfKey("Event", 24, "{Event#5.99999}:x")).toBeUndefined();
    expect(bucketOfKey("Event", 4, `${tag}:x`)).toBeUndefined();
    expect(bucketOfKey("Event", 24, "Event:x")).toBeUndefined();
  });
});
