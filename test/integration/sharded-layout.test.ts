/**
 * The sharded layout (docs/storage.md §7a), byte for byte: every key of a bucket carries the
 * bucket's tag, on a standalone server as on a cluster, and writes by key stay in one bucket.
 */
import { describe, expect, it } from "vitest";
import {
  IndexedField,
  KeyField,
  Model,
  Relationship,
  SortedField,
  ShardMoveError,
  isPopotoError,
} from "../../src/index.js";
import { bucketOfText, bucketTag, keySlot } from "../../src/keys/shards.js";
import { mpstr } from "../support/inspect.js";
import { allKeys, layoutKey, raw, useRedis } from "../support/redis.js";

useRedis();

const K = 24;
const tag = (text: string, model = "ShEvent"): string => bucketTag(model, bucketOfText(text, K), K);

class ShHost extends Model("ShHost", { name: KeyField() }) {}
class ShEvent extends Model(
  "ShEvent",
  { id: KeyField(), kind: IndexedField(), at: SortedField({ type: "int" }), host: Relationship(ShHost) },
  { shards: K },
) {}
class ShVisit extends Model(
  "ShVisit",
  { id: KeyField(), host: Relationship(ShHost), at: SortedField({ type: "int" }) },
  { shards: K, shardBy: "host" },
) {}
class ShPlain extends Model("ShPlain", { id: KeyField(), kind: IndexedField() }, { shards: 1 }) {}

describe("sharded layout", () => {
  it("tags the hash, class set and every index of an instance with its bucket's tag", async () => {
    const host = await ShHost.create({ name: "h1" });
    const event = await ShEvent.create({ id: "e1", kind: "click", at: 5, host });
    const t = tag("e1");
    expect(event.redisKey).toBe(`${t}:e1`);
    const hostKey = layoutKey("ShHost:h1");
    const expected = [
      `${t}:e1`,
      `$Class:${t}`,
      `$IndexF:${t}:kind:click`,
      `$KeyF:${t}:id:e1`,
      `$RelationshipF:${t}:host:${hostKey}`,
      `$SortF:${t}:at`,
    ].sort();
    const keys = (await allKeys()).filter((k) => k.includes("ShEvent"));
    expect(keys).toEqual(expected);
    expect(await raw.smembers(`$Class:${t}`)).toEqual([`${t}:e1`]);
    expect(await raw.zscore(`$SortF:${t}:at`, `${t}:e1`)).toBe("5");
    expect((await raw.hgetBuffer(`${t}:e1`, "host"))?.toString("hex")).toBe(mpstr(hostKey));
    // one slot for the whole bucket
    expect(new Set(expected.map(keySlot)).size).toBe(1);
  });

  it("spreads instances over buckets and loads, saves and deletes each by its key", async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `e${i}`);
    for (const id of ids) await ShEvent.create({ id, kind: "k", at: 1, host: null });
    const classSets = (await allKeys()).filter((k) => k.startsWith("$Class:{ShEvent#"));
    expect(classSets.length).toBeGreaterThan(15);
    const loaded = await ShEvent.load({ id: "e7" });
    expect(loaded?.redisKey).toBe(`${tag("e7")}:e7`);
    expect((await ShEvent.load(`${tag("e7")}:e7`))?.id).toBe("e7");
    expect(await ShEvent.load(`${tag("e8")}:e7`)).toBeNull();
    expect(await ShEvent.exists({ id: "e7" })).toBe(true);
    (loaded as ShEvent).kind = "other";
    await (loaded as ShEvent).save();
    expect(await raw.sismember(`$IndexF:${tag("e7")}:kind:other`, `${tag("e7")}:e7`)).toBe(1);
    expect(await raw.sismember(`$IndexF:${tag("e7")}:kind:k`, `${tag("e7")}:e7`)).toBe(0);
    await (loaded as ShEvent).delete();
    expect(await raw.exists(`${tag("e7")}:e7`)).toBe(0);
    expect(await raw.sismember(`$Class:${tag("e7")}`, `${tag("e7")}:e7`)).toBe(0);
    expect(await ShEvent.deleteAll()).toBe(59);
    expect((await allKeys()).filter((k) => k.includes("ShEvent"))).toEqual([]);
  });

  it("shardBy puts an instance in its parent's bucket, and refuses a save that moves it to another", async () => {
    const a = await ShHost.create({ name: "alpha" });
    const b = await ShHost.create({ name: "beta" });
    const visit = await ShVisit.create({ id: "v1", host: a, at: 1 });
    expect(visit.redisKey).toBe(`${tag("alpha", "ShVisit")}:v1`);
    expect(
      await raw.smembers(`$RelationshipF:${tag("alpha", "ShVisit")}:host:${layoutKey("ShHost:alpha")}`),
    ).toEqual([visit.redisKey]);
    // found by key fields alone: every bucket is read
    expect((await ShVisit.load({ id: "v1" }))?.redisKey).toBe(visit.redisKey);
    expect(await ShVisit.exists({ id: "v1" })).toBe(true);
    if (bucketOfText("alpha", K) !== bucketOfText("beta", K)) {
      visit.host = b;
      const error = await visit.save().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ShardMoveError);
      expect(isPopotoError(error, "SHARD_MOVE")).toBe(true);
      expect((await ShVisit.load({ id: "v1" }))?.host?.redisKey).toBe(layoutKey("ShHost:alpha"));
    }
  });

  it("keeps today's layout for shards: 1", async () => {
    await ShPlain.create({ id: "p", kind: "x" });
    expect(await allKeys()).toEqual(
      [
        layoutKey("ShPlain:p"),
        `$Class:${layoutKey("ShPlain")}`,
        `$IndexF:${layoutKey("ShPlain")}:kind:x`,
        `$KeyF:${layoutKey("ShPlain")}:id:p`,
      ].sort(),
    );
  });
});
