/**
 * TagField: Popoto 1.x's bytes (a sorted msgpack array in the hash, `$TagF:Model:field:<tag>` sets,
 * the `$TagPtr:<key>:<field>` pointer), kept exact on every change of the tags: create, save,
 * partial save, key change, delete and onDelete cascades; filtered by contains, any and all; known
 * to the index tools.
 */
import { encode } from "@msgpack/msgpack";
import { describe, expect, it } from "vitest";
import {
  type Filter,
  IntField,
  KeyField,
  Model,
  onRowProblem,
  QueryError,
  Relationship,
  TagField,
  ValidationError,
} from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { allKeys, hexOf, raw, useRedis } from "../support/redis.js";

useRedis();

class Book extends Model("Book", {
  title: KeyField(),
  tags: TagField(),
  pages: IntField({ default: 0 }),
}) {}
class Shelf extends Model("Shelf", { name: KeyField() }) {}
class Copy extends Model("Copy", {
  code: KeyField(),
  shelf: Relationship(Shelf, { onDelete: "cascade" }),
  labels: TagField({ default: ["new"] }),
}) {}

/** Every `$TagF` / `$TagPtr` key of the database with its members, sorted. */
async function tagKeys(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const key of (await allKeys()).sort())
    if (key.startsWith("$TagF:") || key.startsWith("$TagPtr:")) out[key] = (await raw.smembers(key)).sort();
  return out;
}

const packed = (tags: string[]): string => Buffer.from(encode(tags)).toString("hex");

describe("TagField storage (Popoto 1.x bytes)", () => {
  it("stores the tags sorted by code point and without duplicates, one set per tag, and the pointer", async () => {
    const book = await Book.create({ title: "Dune", tags: ["sf", "classic", "sf", "Épique", "agent:x"] });
    expect(book.tags).toEqual(["Épique", "agent:x", "classic", "sf"].sort());
    expect(book.tags).toEqual(["agent:x", "classic", "sf", "Épique"]);
    expect(await hexOf("Book:Dune", "tags")).toBe(packed(["agent:x", "classic", "sf", "Épique"]));
    expect(await tagKeys()).toEqual({
      "$TagF:Book:tags:agent{&#58;}x": ["Book:Dune"],
      "$TagF:Book:tags:classic": ["Book:Dune"],
      "$TagF:Book:tags:sf": ["Book:Dune"],
      "$TagF:Book:tags:Épique": ["Book:Dune"],
      "$TagPtr:Book:Dune:tags": [
        "$TagF:Book:tags:agent{&#58;}x",
        "$TagF:Book:tags:classic",
        "$TagF:Book:tags:sf",
        "$TagF:Book:tags:Épique",
      ],
    });
  });

  it("sorts astral characters by code point, as Python's sorted() does", async () => {
    // UTF-16 puts U+1F600 (surrogates D83D…) before U+FF5E; code points put it after.
    const book = await Book.create({ title: "Emoji", tags: ["😀", "～"] });
    expect(book.tags).toEqual(["～", "😀"]);
    expect(await hexOf("Book:Emoji", "tags")).toBe(packed(["～", "😀"]));
  });

  it("no tags is an empty array in the hash and no index key", async () => {
    const book = await Book.create({ title: "Plain" });
    expect(book.tags).toEqual([]);
    expect(await hexOf("Book:Plain", "tags")).toBe("90");
    expect(await tagKeys()).toEqual({});
    const copy = await Copy.create({ code: "c1", shelf: await Shelf.create({ name: "s" }) });
    expect(copy.labels).toEqual(["new"]);
  });

  it("refuses tags that are not strings before writing anything", async () => {
    const error = await caught(
      () => Book.create({ title: "Bad", tags: [1] as unknown as string[] }),
      ValidationError,
    );
    expect(error.message).toContain("tags");
    expect(await raw.exists("Book:Bad")).toBe(0);
    expect(await tagKeys()).toEqual({});
  });
});

describe("TagField index kept exact", () => {
  it("a save that changes the tags moves the instance between sets and rewrites the pointer", async () => {
    const book = await Book.create({ title: "Dune", tags: ["sf", "classic"] });
    book.tags = [...book.tags.filter((t) => t !== "classic"), "desert"];
    await book.save();
    expect(await tagKeys()).toEqual({
      "$TagF:Book:tags:desert": ["Book:Dune"],
      "$TagF:Book:tags:sf": ["Book:Dune"],
      "$TagPtr:Book:Dune:tags": ["$TagF:Book:tags:desert", "$TagF:Book:tags:sf"],
    });
    book.tags = [];
    await book.save();
    expect(await tagKeys()).toEqual({});
    expect(await hexOf("Book:Dune", "tags")).toBe("90");
  });

  it("a stale copy's save removes the stored tags, not the ones it loaded", async () => {
    await Book.create({ title: "Dune", tags: ["a"] });
    const stale = await Book.load({ title: "Dune" });
    const fresh = await Book.load({ title: "Dune" });
    fresh!.tags = ["b"];
    await fresh!.save();
    stale!.tags = ["c"];
    await stale!.save();
    expect(await tagKeys()).toEqual({
      "$TagF:Book:tags:c": ["Book:Dune"],
      "$TagPtr:Book:Dune:tags": ["$TagF:Book:tags:c"],
    });
  });

  it("a partial save of other fields leaves the tags; a partial save of the tags rewrites them", async () => {
    const book = await Book.create({ title: "Dune", tags: ["a"] });
    book.tags = ["b"];
    book.pages = 5;
    await book.save({ fields: ["pages"] });
    expect((await tagKeys())["$TagF:Book:tags:a"]).toEqual(["Book:Dune"]);
    await book.save({ fields: ["tags"] });
    expect(await tagKeys()).toEqual({
      "$TagF:Book:tags:b": ["Book:Dune"],
      "$TagPtr:Book:Dune:tags": ["$TagF:Book:tags:b"],
    });
  });

  it("a key change moves the members and the pointer to the new key", async () => {
    const book = await Book.create({ title: "Dune", tags: ["sf"] });
    book.title = "Dune Messiah";
    await book.save();
    expect(await tagKeys()).toEqual({
      "$TagF:Book:tags:sf": ["Book:Dune Messiah"],
      "$TagPtr:Book:Dune Messiah:tags": ["$TagF:Book:tags:sf"],
    });
  });

  it("delete, and an onDelete cascade, leave no tag entry", async () => {
    const book = await Book.create({ title: "Dune", tags: ["sf"] });
    await book.delete();
    const shelf = await Shelf.create({ name: "s" });
    await Copy.create({ code: "c1", shelf, labels: ["worn"] });
    await Copy.create({ code: "c2", shelf, labels: ["worn", "signed"] });
    expect(Object.keys(await tagKeys()).length).toBe(4);
    await shelf.delete();
    expect(await tagKeys()).toEqual({});
    expect(await raw.exists("Copy:c1")).toBe(0);
  });

  it("a save over a row Python Popoto wrote removes Python's entries (read from the stored list)", async () => {
    // Python 1.x: HSET of the packed list, SADD to each $TagF set, the pointer beside them.
    await raw.hset("Book:Py", "title", Buffer.from(encode("Py")), "tags", Buffer.from(encode(["old", "x"])));
    await raw.hset("Book:Py", "pages", Buffer.from(encode(1)));
    await raw.sadd("$Class:Book", "Book:Py");
    await raw.sadd("$KeyF:Book:title:Py", "Book:Py");
    await raw.sadd("$TagF:Book:tags:old", "Book:Py");
    await raw.sadd("$TagF:Book:tags:x", "Book:Py");
    await raw.sadd("$TagPtr:Book:Py:tags", "$TagF:Book:tags:old", "$TagF:Book:tags:x");
    const book = await Book.load({ title: "Py" });
    expect(book?.tags).toEqual(["old", "x"]);
    expect((await Book.query.filter({ tags__contains: "old" })).map((b) => b.title)).toEqual(["Py"]);
    book!.tags = ["x", "new"];
    await book!.save();
    expect(await tagKeys()).toEqual({
      "$TagF:Book:tags:new": ["Book:Py"],
      "$TagF:Book:tags:x": ["Book:Py"],
      "$TagPtr:Book:Py:tags": ["$TagF:Book:tags:new", "$TagF:Book:tags:x"],
    });
  });
});

describe("TagField lookups", () => {
  const seed = async (): Promise<void> => {
    await Book.create({ title: "Dune", tags: ["sf", "classic"], pages: 412 });
    await Book.create({ title: "Neuromancer", tags: ["sf", "cyberpunk"], pages: 271 });
    await Book.create({ title: "Emma", tags: ["classic"], pages: 474 });
    await Book.create({ title: "Blank" });
  };
  const titles = async (filter: Filter<typeof Book>): Promise<string[]> =>
    (await Book.query.filter(filter)).map((b) => b.title).sort();

  it("contains, any and all", async () => {
    await seed();
    expect(await titles({ tags__contains: "sf" })).toEqual(["Dune", "Neuromancer"]);
    expect(await titles({ tags__any: ["cyberpunk", "classic"] })).toEqual(["Dune", "Emma", "Neuromancer"]);
    expect(await titles({ tags__all: ["sf", "classic"] })).toEqual(["Dune"]);
    expect(await titles({ tags__all: ["sf", "sf"] })).toEqual(["Dune", "Neuromancer"]);
    expect(await titles({ tags__contains: "none" })).toEqual([]);
    expect(await Book.query.filter({ tags__contains: "sf" }).count()).toBe(2);
  });

  it("an empty any or all matches nothing, as in Popoto", async () => {
    await seed();
    expect(await titles({ tags__any: [] })).toEqual([]);
    expect(await titles({ tags__all: [] })).toEqual([]);
  });

  it("combines with other lookups, and escapes a tag with a colon as the index does", async () => {
    await seed();
    await Book.create({ title: "Agent", tags: ["agent:valor"] });
    expect(await titles({ tags__contains: "sf", title: "Dune" })).toEqual(["Dune"]);
    expect(await titles({ tags__contains: "agent:valor" })).toEqual(["Agent"]);
  });

  it("equality and other lookups are refused, naming the ones a tag field answers", async () => {
    const error = await caught(() => Book.query.filter({ tags: ["sf"] } as never).count(), QueryError);
    expect(error.message).toContain("__contains, __any, __all");
    const notString = await caught(() => Book.query.filter({ tags__any: [1] as never }).count(), QueryError);
    expect(notString.message).toContain("tags__any");
  });

  it("leaves out a row whose stored tags contradict the index that named it", async () => {
    await seed();
    await raw.sadd("$TagF:Book:tags:sf", "Book:Emma"); // another client's leftover
    const problems: string[] = [];
    const stop = onRowProblem((p) => problems.push(`${p.kind} ${p.key}`));
    try {
      const found = await Book.query.filter({ tags__contains: "sf" });
      expect(found.map((b) => b.title).sort()).toEqual(["Dune", "Neuromancer"]);
    } finally {
      stop();
    }
    expect(problems).toEqual(["drift Book:Emma"]);
  });
});

describe("TagField and the index tools", () => {
  it("check finds stale and missing tag entries; clean and rebuild repair them", async () => {
    await Book.create({ title: "Dune", tags: ["sf", "classic"] });
    expect((await Book.checkIndexes()).differences).toEqual([]);
    await raw.srem("$TagF:Book:tags:sf", "Book:Dune"); // missing
    await raw.srem("$TagPtr:Book:Dune:tags", "$TagF:Book:tags:classic"); // missing
    await raw.sadd("$TagF:Book:tags:old", "Book:Dune"); // stale
    await raw.sadd("$TagPtr:Book:Dune:tags", "$TagF:Book:tags:old"); // stale
    const summary = (await Book.checkIndexes()).differences
      .map((d) => `${d.kind} ${d.index} ${d.member} ${d.instance}`)
      .sort();
    expect(summary).toEqual([
      "missing $TagF:Book:tags:sf Book:Dune Book:Dune",
      "missing $TagPtr:Book:Dune:tags $TagF:Book:tags:classic Book:Dune",
      "stale $TagF:Book:tags:old Book:Dune Book:Dune",
      "stale $TagPtr:Book:Dune:tags $TagF:Book:tags:old Book:Dune",
    ]);
    await Book.cleanIndexes();
    await Book.rebuildIndexes();
    expect((await Book.checkIndexes()).differences).toEqual([]);
    expect(await tagKeys()).toEqual({
      "$TagF:Book:tags:classic": ["Book:Dune"],
      "$TagF:Book:tags:sf": ["Book:Dune"],
      "$TagPtr:Book:Dune:tags": ["$TagF:Book:tags:classic", "$TagF:Book:tags:sf"],
    });
  });
});
