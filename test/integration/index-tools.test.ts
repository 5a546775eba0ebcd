import { describe, expect, it } from "vitest";
import { encode } from "@msgpack/msgpack";
import { Field, KeyField, Model, Relationship, SortedField } from "../../src/index.js";
import { raw, useRedis } from "../support/redis.js";

useRedis();

class Author extends Model("Author", {
  name: KeyField({ lexIndex: true }),
  country: Field({ null: true }),
}) {}
class Book extends Model("Book", {
  title: KeyField(),
  author: Relationship(Author),
  pages: SortedField({ type: "int" }),
}) {}

async function library(): Promise<void> {
  const tolkien = await Author.create({ name: "Tolkien" });
  await Book.create({ title: "The Hobbit", author: tolkien, pages: 310 });
  await Book.create({ title: "LOTR", author: tolkien, pages: 1178 });
}

describe("checkIndexes / cleanIndexes / rebuildIndexes", () => {
  it("reports nothing for indexes popoto wrote", async () => {
    await library();
    const report = await Book.checkIndexes();
    expect(report.instances).toBe(2);
    expect(report.differences).toEqual([]);
    expect(report.indexKeys).toBeGreaterThan(4);
  });

  it("finds stale, missing and wrong-score entries, and clean/rebuild repair them", async () => {
    await library();
    await raw.sadd("$KeyF:Book:title:Ghost", "Book:Ghost"); // an entry no hash calls for
    await raw.sadd("$Class:Book", "Book:Ghost");
    await raw.zadd("$SortF:Book:pages", 5, "Book:LOTR"); // wrong score
    await raw.srem("$RelationshipF:Book:author:Author:Tolkien", "Book:The Hobbit"); // missing
    const report = await Book.checkIndexes();
    const summary = report.differences.map((d) => `${d.kind} ${d.index} ${d.member}`).sort();
    expect(summary).toEqual([
      "missing $RelationshipF:Book:author:Author:Tolkien Book:The Hobbit",
      "score $SortF:Book:pages Book:LOTR",
      "stale $Class:Book Book:Ghost",
      "stale $KeyF:Book:title:Ghost Book:Ghost",
    ]);
    const cleaned = await Book.cleanIndexes();
    expect(cleaned.purged).toBe(1);
    expect(await raw.zscore("$SortF:Book:pages", "Book:LOTR")).toBe("1178");
    expect(await raw.exists("$KeyF:Book:title:Ghost")).toBe(0);
    expect((await Book.checkIndexes()).differences.map((d) => d.kind)).toEqual(["missing"]);
    const rebuilt = await Book.rebuildIndexes();
    expect(rebuilt.added).toBe(1);
    expect((await Book.checkIndexes()).differences).toEqual([]);
    expect((await Book.query.filter({ author__name: "Tolkien" })).length).toBe(2);
  });

  it("rebuild fills the structures Python Popoto does not keep, for rows it wrote", async () => {
    // As Python Popoto writes an instance: hash, class set, $KeyF set; no lex index, no None set.
    const key = "Author:Le Guin";
    await raw.hset(key, "name", Buffer.from(encode("Le Guin")), "country", Buffer.from(encode(null)));
    await raw.sadd("$Class:Author", key);
    await raw.sadd("$KeyF:Author:name:Le Guin", key);
    const report = await Author.checkIndexes();
    expect(report.differences.map((d) => d.index).sort()).toEqual([
      "$LexF:Author:name",
      "$LexRevF:Author:name",
    ]);
    await Author.rebuildIndexes();
    expect(await raw.zrange("$LexF:Author:name", 0, -1)).toEqual(["Le Guin\0\0Author:Le Guin"]);
    expect((await Author.query.filter({ name__startswith: "Le" })).map((a) => a.name)).toEqual(["Le Guin"]);
  });

  it("finds what an expired instance left behind (its ttl shadow too), and clean removes it all", async () => {
    class Session extends Model("Session", { id: KeyField(), user: KeyField() }, { ttl: 60 }) {}
    await Session.create({ id: "s1", user: "ann" });
    await Session.create({ id: "s2", user: "bob" });
    await raw.del("Session:s1:ann"); // as if it expired
    const report = await Session.checkIndexes();
    expect(report.counts.stale).toBeGreaterThanOrEqual(4);
    expect(report.differences.map((d) => d.index)).toContain("$IndexValues:Session:Session:s1:ann");
    expect([...new Set(report.differences.map((d) => d.instance))]).toEqual(["Session:s1:ann"]);
    const cleaned = await Session.cleanIndexes();
    expect(cleaned.purged).toBe(1);
    expect((await Session.checkIndexes()).differences).toEqual([]);
    expect(await raw.exists("$IndexValues:Session:Session:s1:ann")).toBe(0);
    expect(await raw.smembers("$Class:Session")).toEqual(["Session:s2:bob"]);
  });

  it("never reports a difference that a concurrent write explains", async () => {
    await library();
    const writes = (async () => {
      for (let i = 0; i < 30; i++) {
        const book = await Book.load({ title: "LOTR" });
        book!.pages = 1000 + i;
        await book!.save();
      }
    })();
    const reports = await Promise.all([
      Book.checkIndexes({ batchSize: 1 }),
      writes.then(() => Book.checkIndexes()),
    ]);
    expect(reports[1].differences).toEqual([]);
    expect(reports[0].differences).toEqual([]);
  });
});
