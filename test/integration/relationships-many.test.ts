import { encode } from "@msgpack/msgpack";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { KeyField, Model, Relationship } from "../../src/index.js";
import { layoutKey, raw, useRedis } from "../support/redis.js";

useRedis();

class Tag extends Model("Tag", { name: KeyField() }) {}
class Post extends Model("Post", { slug: KeyField(), tags: Relationship(Tag, { many: true }) }) {}

describe("many-relationships", () => {
  it("indexes every target and filters by any one of them", async () => {
    const ts = await Tag.create({ name: "ts" });
    const redis = await Tag.create({ name: "redis" });
    await Post.create({ slug: "a", tags: [ts, redis] });
    await Post.create({ slug: "b", tags: [redis] });
    await Post.create({ slug: "c" });
    expect(await raw.smembers("$RelationshipF:Post:tags:Tag:ts")).toEqual(["Post:a"]);
    expect((await raw.smembers("$RelationshipF:Post:tags:Tag:redis")).sort()).toEqual(["Post:a", "Post:b"]);
    expect(await raw.smembers("$RelationshipF:Post:tags:None")).toEqual(["Post:c"]);
    expect((await Post.query.filter({ tags: redis })).map((p) => p.slug).sort()).toEqual(["a", "b"]);
    expect((await Post.query.filter({ tags__name: "ts" })).map((p) => p.slug)).toEqual(["a"]);
    const loaded = await Post.load({ slug: "a" });
    expect(loaded?.tags.map((t) => t.redisKey)).toEqual(["Tag:ts", "Tag:redis"]);
  });

  it("addRelated and removeRelated merge with changes made by another process", async () => {
    const ts = await Tag.create({ name: "ts" });
    const redis = await Tag.create({ name: "redis" });
    const node = await Tag.create({ name: "node" });
    const post = await Post.create({ slug: "a", tags: [ts] });
    const stale = await Post.load({ slug: "a" });
    await post.addRelated("tags", redis);
    // `stale` still believes the list is [ts]; its change is computed from what Redis holds.
    await stale!.addRelated("tags", node);
    expect(stale!.tags.map((t) => t.redisKey)).toEqual(["Tag:ts", "Tag:redis", "Tag:node"]);
    await post.removeRelated("tags", ts);
    const final = await Post.load({ slug: "a" });
    expect(final?.tags.map((t) => t.redisKey)).toEqual(["Tag:redis", "Tag:node"]);
    expect(await raw.smembers("$RelationshipF:Post:tags:Tag:ts")).toEqual([]);
    expect(await raw.smembers("$RelationshipF:Post:tags:Tag:node")).toEqual(["Post:a"]);
  });

  it("concurrent adds from separate connections all land", async () => {
    const tags = await Promise.all(["a", "b", "c", "d", "e", "f"].map((name) => Tag.create({ name })));
    await Post.create({ slug: "p" });
    const copies = await Promise.all(tags.map(() => Post.load({ slug: "p" })));
    await Promise.all(copies.map((copy, i) => copy!.addRelated("tags", tags[i]!)));
    const post = await Post.load({ slug: "p" });
    expect(post?.tags.map((t) => t.redisKey).sort()).toEqual(tags.map((t) => t.redisKey).sort());
    expect(await raw.exists("$RelationshipF:Post:tags:None")).toBe(0);
    const other = new Redis(raw.options);
    await other.quit();
  });

  it("addRelated and removeRelated store the list in the bytes a full save writes, at every msgpack size class", async () => {
    // Keys of 31, 32, 255 and 256 bytes cross fixstr → str8 → str16; 20 targets cross fixarray →
    // array16. commute.lua merges with cmsgpack; a full save encodes with @msgpack/msgpack.
    // The key's prefix is `Tag:`, or `{Tag}:` on a cluster: the names make the keys' lengths.
    const prefix = layoutKey("Tag:").length;
    const names = [31, 32, 255, 256].map((length, i) => "xyzw"[i]!.repeat(length - prefix));
    names.push(...Array.from({ length: 16 }, (_, i) => `t${i}`));
    const tags = await Promise.all(names.map((name) => Tag.create({ name })));
    const post = await Post.create({ slug: "sizes" });
    for (const tag of tags) await post.addRelated("tags", tag);
    const keys = tags.map((t) => t.redisKey);
    expect(keys[0]).toHaveLength(31);
    expect(keys[3]).toHaveLength(256);
    const stored = await raw.hgetBuffer("Post:sizes", "tags");
    expect(stored?.equals(Buffer.from(encode(keys)))).toBe(true);
    expect(stored?.[0]).toBe(0xdc);
    await post.removeRelated("tags", ...tags.slice(4));
    expect((await raw.hgetBuffer("Post:sizes", "tags"))?.equals(Buffer.from(encode(keys.slice(0, 4))))).toBe(
      true,
    );
    await post.removeRelated("tags", ...tags.slice(0, 4));
    expect((await raw.hgetBuffer("Post:sizes", "tags"))?.equals(Buffer.from([0x90]))).toBe(true);
    expect(await raw.smembers("$RelationshipF:Post:tags:None")).toContain("Post:sizes");
    // A full save of the same list writes the same bytes.
    post.tags = tags as never;
    await post.save();
    expect((await raw.hgetBuffer("Post:sizes", "tags"))?.equals(Buffer.from(encode(keys)))).toBe(true);
  });
});
