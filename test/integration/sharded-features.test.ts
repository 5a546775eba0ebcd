/**
 * Sharded models beside the features that came after them: TagField and composite index keys
 * carry the bucket tag like every other key of a bucket (and are queried in every bucket); hooks
 * and value checks run as on any model; update() writes each match in its bucket. (Unique values:
 * sharded-unique.test.ts; onDelete: sharded-on-delete.test.ts; page() and the aggregates:
 * sharded-reads.test.ts.)
 */
import { describe, expect, it } from "vitest";
import {
  Field,
  IndexedField,
  KeyField,
  Model,
  QueryError,
  Relationship,
  SortedField,
  TagField,
  ValidationError,
} from "../../src/index.js";
import { bucketOfText, bucketTag, keySlot } from "../../src/keys/shards.js";
import { allKeys, layoutKey, raw, useRedis } from "../support/redis.js";
import { caught } from "../support/inspect.js";

useRedis();

const K = 24;
const tag = (text: string, model: string): string => bucketTag(model, bucketOfText(text, K), K);

class SfHost extends Model("SfHost", { name: KeyField() }) {}
class SfItem extends Model(
  "SfItem",
  {
    id: KeyField(),
    kind: IndexedField(),
    year: IndexedField({ type: "int" }),
    at: SortedField({ type: "int" }),
    labels: TagField(),
    note: Field({ maxLength: 5, null: true }),
    host: Relationship(SfHost),
  },
  { shards: K, indexes: [["kind", "year"]] },
) {}

describe("sharded models and later features", () => {
  it("writes TagField and composite index keys in the instance's bucket, and queries them in every bucket", async () => {
    const ids = ["a", "b", "c", "d", "e", "f"];
    for (const [i, id] of ids.entries())
      await SfItem.create({
        id,
        kind: i % 2 ? "x" : "y",
        year: 2000 + (i % 3),
        at: i,
        labels: [`l${i % 2}`],
      });
    const t = tag("a", "SfItem");
    const keys = (await allKeys()).filter((k) => k.includes(t));
    expect(keys).toContain(`$TagF:${t}:labels:l0`);
    expect(keys).toContain(`$TagPtr:${t}:a:labels`);
    expect(keys).toContain(`$CompositeF:${t}:kind+year:y:2000`);
    expect(new Set(keys.map(keySlot)).size).toBe(1);
    expect(await raw.smembers(`$CompositeF:${t}:kind+year:y:2000`)).toEqual([`${t}:a`]);
    // no key of the model is spelled without a bucket tag
    expect((await allKeys()).filter((k) => k.includes("SfItem") && !k.includes("{SfItem#"))).toEqual([]);
    const byTag = await SfItem.query.filter({ labels__contains: "l1" });
    expect(byTag.map((item) => item.id).sort()).toEqual(["b", "d", "f"]);
    const byIndex = await SfItem.query.filter({ kind: "x", year: 2001 });
    expect(byIndex.map((item) => item.id)).toEqual(["b"]);
    expect(await SfItem.query.filter({ kind: "y", year: 2000 }).count()).toBe(1);
  });

  it("runs value checks on a sharded model before anything is written", async () => {
    const error = await caught(() => SfItem.create({ id: "v", kind: "x", year: 1, at: 1, note: "too long" }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((await allKeys()).filter((k) => k.includes("SfItem"))).toEqual([]);
  });

  it("runs lifecycle hooks on a sharded model around a write in the instance's bucket", async () => {
    const item = await SfHooked.create({ id: "h1" });
    await item.delete();
    const key = `${tag("h1", "SfHooked")}:h1`;
    expect(hookLog).toEqual([`preSave ${key}`, "postSave stored=1", "preDelete", "postDelete stored=0"]);
  });

  it("keeps per-instance expiry in the instance's bucket", async () => {
    const item = await SfExpiring.create({ id: "x1", kind: "k" });
    await item.expire(100);
    const t = tag("x1", "SfExpiring");
    expect(item.redisKey).toBe(`${t}:x1`);
    expect(await raw.ttl(`${t}:x1`)).toBeGreaterThan(0);
    expect(await raw.exists(`$IndexValues:${t}:${t}:x1`)).toBe(1);
    expect((await allKeys()).filter((k) => k.includes("SfExpiring") && !k.includes(t))).toEqual([]);
    expect((await SfExpiring.query.filter({ kind: "k" })).map((i) => i.id)).toEqual(["x1"]);
  });

  it("update() writes every match in its own bucket, and refuses to set the shardBy field", async () => {
    for (const id of ["u1", "u2", "u3", "u4"]) await SfItem.create({ id, kind: "old", year: 1999, at: 1 });
    expect(await SfItem.query.filter({ kind: "old" }).update({ kind: "new" })).toBe(4);
    expect(await SfItem.query.filter({ kind: "old" }).count()).toBe(0);
    expect((await SfItem.query.filter({ kind: "new", year: 1999 })).map((i) => i.id).sort()).toEqual([
      "u1",
      "u2",
      "u3",
      "u4",
    ]);
    const t = tag("u1", "SfItem");
    expect(await raw.smembers(`$IndexF:${t}:kind:new`)).toContain(`${t}:u1`);
    expect(await raw.exists(`$IndexF:${t}:kind:old`)).toBe(0);

    const host = await SfHost.create({ name: "h" });
    await SfVisit.create({ id: "v1", host, kind: "k" });
    const error = await caught(() => SfVisit.query.filter({ kind: "k" }).update({ host: null }));
    expect(error).toBeInstanceOf(QueryError);
    expect((error as Error).message).toMatch(/shardBy field.*create its copy/);
    expect((await SfVisit.load({ id: "v1" }))?.host?.redisKey).toBe(layoutKey("SfHost:h"));
  });
});

class SfVisit extends Model(
  "SfVisit",
  { id: KeyField(), kind: IndexedField(), host: Relationship(SfHost) },
  { shards: K, shardBy: "host" },
) {}

const hookLog: string[] = [];
class SfHooked extends Model("SfHooked", { id: KeyField() }, { shards: K }) {
  override preSave(): void {
    hookLog.push(`preSave ${this.redisKey}`);
  }
  override async postSave(): Promise<void> {
    hookLog.push(`postSave stored=${await raw.exists(this.redisKey)}`);
  }
  override preDelete(): void {
    hookLog.push("preDelete");
  }
  override async postDelete(): Promise<void> {
    hookLog.push(`postDelete stored=${await raw.exists(`${tag("h1", "SfHooked")}:h1`)}`);
  }
}

class SfExpiring extends Model(
  "SfExpiring",
  { id: KeyField(), kind: IndexedField() },
  { shards: K, expiring: true },
) {}
