import { describe, expect, it } from "vitest";
import { KeyField, Model, Relationship, SortedField } from "../../src/index.js";
import { useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

class Author extends Model("Author", { name: KeyField() }) {}
class Book extends Model("Book", {
  title: KeyField(),
  author: Relationship(Author),
  pages: SortedField({ type: "int" }),
}) {}

async function library(): Promise<{ tolkien: Author; lewis: Author }> {
  const tolkien = await Author.create({ name: "Tolkien" });
  const lewis = await Author.create({ name: "Lewis" });
  for (let i = 0; i < 20; i++)
    await Book.create({ title: `T${i}`, author: i % 2 ? tolkien : lewis, pages: 100 + i });
  return { tolkien, lewis };
}

describe("round trips to Redis", () => {
  it("create is one round trip (one EVALSHA)", async () => {
    const { roundTrips, commands } = await countTraffic(() => Author.create({ name: "Le Guin" }));
    expect(roundTrips).toBe(1);
    expect(commands).toEqual(["EVALSHA"]);
  });

  it("get by key is one HGETALL", async () => {
    await library();
    const { roundTrips, commands, result } = await countTraffic(() => Book.query.get({ title: "T3" }));
    expect(result?.pages).toBe(103);
    expect(roundTrips).toBe(1);
    expect(commands).toEqual(["HGETALL"]);
  });

  it("filter by instance is one round trip (keys and hashes in one script)", async () => {
    const { tolkien } = await library();
    const { roundTrips, result } = await countTraffic(() => Book.query.filter({ author: tolkien }));
    expect(result).toHaveLength(10);
    expect(roundTrips).toBeLessThanOrEqual(2);
    expect(roundTrips).toBe(1);
  });

  it("one hop of traversal is at most three round trips (two here)", async () => {
    await library();
    const { roundTrips, result } = await countTraffic(() => Book.query.filter({ author__name: "Tolkien" }));
    expect(result).toHaveLength(10);
    expect(roundTrips).toBeLessThanOrEqual(3);
    expect(roundTrips).toBe(2);
  });

  it("include costs one round trip per level, not one per instance", async () => {
    await library();
    const { roundTrips, result } = await countTraffic(() => Book.query.orderBy("pages").include("author"));
    expect(result).toHaveLength(20);
    expect(result.every((b) => b.author instanceof Author)).toBe(true);
    expect(roundTrips).toBe(2);
  });

  it("a save of a loaded instance is one round trip", async () => {
    await library();
    const book = await Book.query.get({ title: "T1" });
    const { roundTrips } = await countTraffic(async () => {
      book!.pages = 999;
      await book!.save();
    });
    expect(roundTrips).toBe(1);
  });
});
