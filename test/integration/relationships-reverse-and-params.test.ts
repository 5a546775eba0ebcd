/**
 * The reverse side (`tolkien.related(Book, "author")`, a query), many-relationships with
 * addRelated/removeRelated, and `filterParams({ depth })`.
 */
import { describe, expect, it } from "vitest";
import {
  Field,
  KeyField,
  Model,
  PopotoError,
  Relationship,
  SortedField,
  ValidationError,
} from "../../src/index.js";
import { caught, members } from "../support/inspect.js";
import { allKeys, raw, useRedis } from "../support/redis.js";
import { expectExactReverseSets } from "../support/reverse-sets.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

class Writer extends Model("Writer", { name: KeyField() }) {}
class Tome extends Model("Tome", {
  title: KeyField(),
  author: Relationship(Writer),
  editor: Relationship(Writer),
  pages: SortedField({ type: "int" }),
  genre: Field({ null: true }),
}) {}

class Tag extends Model("Tag", { name: KeyField() }) {}
class Other extends Model("Other", { name: KeyField() }) {}
class Post extends Model("Post", {
  slug: KeyField(),
  tags: Relationship(Tag, { many: true }),
  body: Field({ null: true }),
}) {}

/** For filterParams: a chain Badge -> Member -> Human -> Sign, and a self reference. */
class Sign extends Model("Sign", { name: KeyField() }) {}
class Human extends Model("Human", {
  name: KeyField(),
  age: SortedField({ type: "int" }),
  bio: Field({ null: true }),
  sign: Relationship(Sign),
  mentor: Relationship("Human"),
}) {}
class Member extends Model("Member", { id: KeyField(), human: Relationship(Human) }) {}
class Badge extends Model("Badge", { id: KeyField(), member: Relationship(Member) }) {}

async function shelf(): Promise<{ tolkien: Writer; lewis: Writer }> {
  const tolkien = await Writer.create({ name: "Tolkien" });
  const lewis = await Writer.create({ name: "Lewis" });
  await Tome.create({ title: "The Hobbit", author: tolkien, editor: lewis, pages: 310, genre: "fantasy" });
  await Tome.create({ title: "LOTR", author: tolkien, pages: 1178, genre: "fantasy" });
  await Tome.create({ title: "Letters", author: tolkien, editor: tolkien, pages: 463 });
  await Tome.create({ title: "Narnia", author: lewis, editor: tolkien, pages: 767, genre: "fantasy" });
  return { tolkien, lewis };
}

const titles = (rows: readonly Tome[]): string[] => rows.map((t) => t.title).sort();

describe("related(): the reverse side as a query", () => {
  it("all books by Tolkien, by author and by editor", async () => {
    const { tolkien, lewis } = await shelf();
    expect(titles(await tolkien.related(Tome, "author"))).toEqual(["LOTR", "Letters", "The Hobbit"]);
    expect(titles(await tolkien.related(Tome, "editor"))).toEqual(["Letters", "Narnia"]);
    expect(titles(await lewis.related(Tome, "author"))).toEqual(["Narnia"]);
    expect(titles(await lewis.related(Tome, "editor"))).toEqual(["The Hobbit"]);
  });

  it("filters, counts, orders, pages, and answers first/exists/keys/values", async () => {
    const { tolkien } = await shelf();
    const books = tolkien.related(Tome, "author");
    expect(await books.count()).toBe(3);
    expect(await books.count({ pages__gt: 400 })).toBe(2);
    expect(titles(await books.filter({ title__startswith: "L" }))).toEqual(["LOTR", "Letters"]);
    expect((await books.orderBy("-pages").limit(2)).map((t) => t.title)).toEqual(["LOTR", "Letters"]);
    expect((await books.orderBy("pages").offset(1)).map((t) => t.title)).toEqual(["Letters", "LOTR"]);
    expect((await books.orderBy("pages").first())?.title).toBe("The Hobbit");
    expect(await books.filter({ pages__gt: 5000 }).exists()).toBe(false);
    expect((await books.keys()).sort()).toEqual(["Tome:LOTR", "Tome:Letters", "Tome:The Hobbit"]);
    expect(await books.orderBy("pages").values("title")).toEqual([
      { title: "The Hobbit" },
      { title: "Letters" },
      { title: "LOTR" },
    ]);
    expect(titles(await books.filter({ editor__name: "Lewis" }))).toEqual(["The Hobbit"]);
  });

  it("is one round trip, and counting does not load the rows", async () => {
    const { tolkien } = await shelf();
    const all = await countTraffic(() => tolkien.related(Tome, "author").all());
    expect(all.result).toHaveLength(3);
    expect(all.roundTrips).toBe(1);
    const count = await countTraffic(() => tolkien.related(Tome, "author").count());
    expect(count.result).toBe(3);
    expect(count.roundTrips).toBe(1);
    expect(count.commands).not.toContain("HGETALL");
  });

  it("follows reassignments and deletes of the referrers", async () => {
    const { tolkien, lewis } = await shelf();
    const lotr = await Tome.load({ title: "LOTR" });
    lotr!.author = lewis;
    await lotr!.save();
    await (await Tome.load({ title: "Letters" }))!.delete();
    expect(titles(await tolkien.related(Tome, "author"))).toEqual(["The Hobbit"]);
    expect(titles(await lewis.related(Tome, "author"))).toEqual(["LOTR", "Narnia"]);
  });

  it("works from a loaded target, and for a target with no referrers", async () => {
    await shelf();
    const loaded = await Writer.load({ name: "Lewis" });
    expect(await loaded!.related(Tome, "author").count()).toBe(1);
    const nobody = await Writer.create({ name: "Nobody" });
    expect(await nobody.related(Tome, "author")).toEqual([]);
  });

  it("a field that is not a relationship is refused", async () => {
    const { tolkien } = await shelf();
    await caught(() => tolkien.related(Tome, "pages" as "author").all(), PopotoError);
  });
});

describe("many-relationships", () => {
  it("create indexes each target; an empty list is in the None set", async () => {
    const ts = await Tag.create({ name: "ts" });
    const redis = await Tag.create({ name: "redis" });
    await Post.create({ slug: "a", tags: [ts, "Tag:redis"] });
    await Post.create({ slug: "b" });
    expect((await raw.hgetBuffer("Post:a", "tags"))?.toString("hex")).toBe(
      "92a6" + Buffer.from("Tag:ts").toString("hex") + "a9" + Buffer.from("Tag:redis").toString("hex"),
    );
    expect(await members("$RelationshipF:Post:tags:Tag:ts")).toEqual(["Post:a"]);
    expect(await members("$RelationshipF:Post:tags:Tag:redis")).toEqual(["Post:a"]);
    expect(await members("$RelationshipF:Post:tags:None")).toEqual(["Post:b"]);
    expect((await redis.related(Post, "tags")).map((p) => p.slug)).toEqual(["a"]);
  });

  it("addRelated and removeRelated move the post between reverse sets, one write each", async () => {
    const [ts, redis, node] = await Promise.all(["ts", "redis", "node"].map((name) => Tag.create({ name })));
    const post = await Post.create({ slug: "a" });
    await post.removeRelated("tags", "Tag:never"); // loads commute.lua (EVAL once per server)
    const { commands } = await countTraffic(() => post.addRelated("tags", ts!, redis!));
    expect(commands).toEqual(["EVALSHA"]);
    expect(post.tags.map((t) => t.redisKey)).toEqual(["Tag:ts", "Tag:redis"]);
    expect(await raw.exists("$RelationshipF:Post:tags:None")).toBe(0);
    await post.addRelated("tags", node!, ts!); // ts again: no duplicate
    expect((await Post.load({ slug: "a" }))?.tags.map((t) => t.redisKey)).toEqual([
      "Tag:ts",
      "Tag:redis",
      "Tag:node",
    ]);
    await post.removeRelated("tags", redis!, "Tag:never");
    expect(post.tags.map((t) => t.redisKey)).toEqual(["Tag:ts", "Tag:node"]);
    expect(await raw.exists("$RelationshipF:Post:tags:Tag:redis")).toBe(0);
    await post.removeRelated("tags", ts!, node!);
    expect(await members("$RelationshipF:Post:tags:None")).toEqual(["Post:a"]);
    await expectExactReverseSets("Post", ["tags"]);
  });

  it("addRelated keeps the post's other fields as stored", async () => {
    const ts = await Tag.create({ name: "ts" });
    await Post.create({ slug: "a", body: "stored" });
    const stale = await Post.load({ slug: "a" });
    const other = await Post.load({ slug: "a" });
    other!.body = "changed elsewhere";
    await other!.save();
    await stale!.addRelated("tags", ts);
    const final = await Post.load({ slug: "a" });
    expect(final?.body).toBe("changed elsewhere");
    expect(final?.tags.map((t) => t.redisKey)).toEqual(["Tag:ts"]);
  });

  it("reassigning the whole list with save() leaves no ghosts", async () => {
    const [ts, redis, node] = await Promise.all(["ts", "redis", "node"].map((name) => Tag.create({ name })));
    await Post.create({ slug: "a", tags: [ts!, redis!] });
    const [post] = await Post.query.filter({ tags: ts! });
    post!.tags = [node!];
    await post!.save();
    expect(await raw.exists("$RelationshipF:Post:tags:Tag:ts")).toBe(0);
    expect(await raw.exists("$RelationshipF:Post:tags:Tag:redis")).toBe(0);
    expect(await members("$RelationshipF:Post:tags:Tag:node")).toEqual(["Post:a"]);
    await new Post({ slug: "a" }).save(); // hand-built, no tags
    expect(await members("$RelationshipF:Post:tags:None")).toEqual(["Post:a"]);
    await expectExactReverseSets("Post", ["tags"]);
  });

  it("filters by any one target, by __in, by null, and deletes clean every set", async () => {
    const [ts, redis] = await Promise.all(["ts", "redis"].map((name) => Tag.create({ name })));
    const a = await Post.create({ slug: "a", tags: [ts!, redis!] });
    await Post.create({ slug: "b", tags: [redis!] });
    await Post.create({ slug: "c" });
    const slugs = (rows: readonly Post[]): string[] => rows.map((p) => p.slug).sort();
    expect(slugs(await Post.query.filter({ tags: redis! }))).toEqual(["a", "b"]);
    expect(slugs(await Post.query.filter({ tags: ts!, slug: "a" }))).toEqual(["a"]);
    expect(slugs(await Post.query.filter({ tags__in: [ts!, "Tag:redis"] }))).toEqual(["a", "b"]);
    expect(slugs(await Post.query.filter({ tags__isnull: true }))).toEqual(["c"]);
    expect(slugs(await Post.query.filter({ tags__isnull: false }))).toEqual(["a", "b"]);
    await a.delete();
    expect(await raw.exists("$RelationshipF:Post:tags:Tag:ts")).toBe(0);
    expect(await members("$RelationshipF:Post:tags:Tag:redis")).toEqual(["Post:b"]);
  });

  it("refuses addRelated on an unsaved post, on a field that is not many, and with a wrong target", async () => {
    const ts = await Tag.create({ name: "ts" });
    const other = await Other.create({ name: "x" });
    const unsaved = new Post({ slug: "u" });
    const notSaved = await caught(() => unsaved.addRelated("tags", ts), PopotoError);
    expect(notSaved.code).toBe("NOT_SAVED");
    const post = await Post.create({ slug: "a" });
    await caught(() => post.addRelated("body" as "tags", ts), ValidationError);
    const before = await allKeys();
    await caught(() => post.addRelated("tags", other as unknown as Tag), ValidationError);
    await caught(() => post.addRelated("tags", "Other:x"), ValidationError);
    expect(await allKeys()).toEqual(before);
  });
});

describe("filterParams()", () => {
  it("lists exactly the one-hop keys by default", () => {
    class Author extends Model("ParamsAuthor", { name: KeyField(), bio: Field({ null: true }) }) {}
    class Book extends Model("ParamsBook", {
      title: KeyField(),
      author: Relationship(Author),
      pages: SortedField({ type: "int" }),
    }) {}
    expect(Book.filterParams().sort()).toEqual(
      [
        "title",
        "title__in",
        "title__isnull",
        "title__startswith",
        "title__endswith",
        "title__contains",
        "author",
        "author__in",
        "author__isnull",
        "author__name",
        "author__name__in",
        "author__name__isnull",
        "author__name__startswith",
        "author__name__endswith",
        "author__name__contains",
        "pages",
        "pages__in",
        "pages__gt",
        "pages__gte",
        "pages__lt",
        "pages__lte",
        "pages__between",
      ].sort(),
    );
    expect(Author.filterParams()).not.toContain("bio");
  });

  it("depth 0 lists no traversals; each further depth adds one hop", () => {
    const d0 = Badge.filterParams({ depth: 0 });
    const d1 = Badge.filterParams({ depth: 1 });
    const d2 = Badge.filterParams({ depth: 2 });
    const d3 = Badge.filterParams({ depth: 3 });
    expect(d0.sort()).toEqual(
      [
        "id",
        "id__contains",
        "id__endswith",
        "id__in",
        "id__isnull",
        "id__startswith",
        "member",
        "member__in",
        "member__isnull",
      ].sort(),
    );
    expect(d1).toContain("member__human");
    expect(d1).not.toContain("member__human__name");
    expect(d2).toContain("member__human__name__startswith");
    expect(d2).toContain("member__human__age__between");
    expect(d2).not.toContain("member__human__sign__name");
    expect(d3).toContain("member__human__sign__name");
    expect(d3).toContain("member__human__mentor__name");
    expect(d3).not.toContain("member__human__bio");
    expect(new Set(d3).size).toBe(d3.length);
  });

  it("a self reference stops at the depth asked for", () => {
    const params = Human.filterParams({ depth: 4 });
    expect(params).toContain("mentor__mentor__mentor__mentor__name");
    expect(params).toContain("mentor__mentor__mentor__mentor__mentor__isnull");
    expect(params).not.toContain("mentor__mentor__mentor__mentor__mentor__name");
  });

  it("every key it lists is accepted by filter()", async () => {
    const sample = (param: string): unknown => {
      const parts = param.split("__");
      const op = parts.at(-1);
      if (op === "isnull") return true;
      if (op === "in") return [];
      if (op === "between") return [1, 2];
      if (op === "startswith" || op === "endswith" || op === "contains") return "a";
      if (op === "gt" || op === "gte" || op === "lt" || op === "lte") return 1;
      const field = parts.at(-1);
      if (field === "age") return 1;
      if (field === "member" || field === "human" || field === "sign" || field === "mentor") return null;
      return "a";
    };
    const params = Badge.filterParams({ depth: 3 });
    expect(params.length).toBeGreaterThan(40);
    for (const param of params) {
      await expect(Badge.query.count({ [param]: sample(param) } as never), param).resolves.toBe(0);
    }
  });
});
