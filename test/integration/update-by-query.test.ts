/**
 * query.update(values): every match written, atomically with its index entries (checked raw:
 * the value sets, the sorted set, the hash bytes), validated before anything is written.
 */
import { describe, expect, it } from "vitest";
import {
  IndexedField,
  isPopotoError,
  KeyField,
  Model,
  SortedField,
  UniqueField,
  ValidationError,
} from "../../src/index.js";
import { allKeys, hexOf, layoutKey, raw, useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

class Book extends Model("UpdBook", {
  title: KeyField(),
  genre: IndexedField({ null: true }),
  pages: SortedField({ type: "int" }),
  isbn: UniqueField({ null: true }),
  note: IndexedField({ null: true }),
}) {}

async function shelf(): Promise<void> {
  for (let i = 0; i < 10; i++)
    await Book.create({ title: `B${i}`, genre: i < 6 ? "scifi" : "fantasy", pages: 100 + i, note: `n${i}` });
}

const members = async (key: string): Promise<string[]> => (await raw.smembers(key)).sort();
const keysOf = (...titles: string[]): string[] => titles.map((t) => layoutKey(`UpdBook:${t}`)).sort();

describe("query.update()", () => {
  it("writes every match, moves their index entries and returns how many it wrote", async () => {
    await shelf();
    const changed = await Book.query
      .filter({ genre: "scifi", pages__gte: 102 })
      .update({ genre: "sf", pages: 7 });
    expect(changed).toBe(4);
    expect(await members("$IndexF:UpdBook:genre:sf")).toEqual(keysOf("B2", "B3", "B4", "B5"));
    expect(await members("$IndexF:UpdBook:genre:scifi")).toEqual(keysOf("B0", "B1"));
    expect(await members("$IndexF:UpdBook:genre:fantasy")).toEqual(keysOf("B6", "B7", "B8", "B9"));
    for (const t of ["B2", "B3", "B4", "B5"]) {
      expect(await raw.zscore("$SortF:UpdBook:pages", layoutKey(`UpdBook:${t}`))).toBe("7");
      expect(await hexOf(`UpdBook:${t}`, "genre")).toBe(Buffer.from("\xa2sf", "latin1").toString("hex"));
      expect(await hexOf(`UpdBook:${t}`, "pages")).toBe("07");
      // Fields not given keep their stored bytes and entries.
      expect(await raw.sismember(`$IndexF:UpdBook:note:n${t.slice(1)}`, layoutKey(`UpdBook:${t}`))).toBe(1);
    }
    expect(await raw.zscore("$SortF:UpdBook:pages", layoutKey("UpdBook:B1"))).toBe("101");
    expect((await Book.query.filter({ genre: "sf" })).map((b) => b.title).sort()).toEqual([
      "B2",
      "B3",
      "B4",
      "B5",
    ]);
  });

  it("sets null, and respects the query's order and limit", async () => {
    await shelf();
    expect(await Book.query.orderBy("-pages").limit(3).update({ note: null })).toBe(3);
    expect(await members("$IndexF:UpdBook:note:None")).toEqual(keysOf("B7", "B8", "B9"));
    expect(await raw.exists("$IndexF:UpdBook:note:n9")).toBe(0);
    expect(await Book.query.filter({ note: null }).count()).toBe(3);
  });

  it("validates before anything is written: bad values, key fields, unknown fields", async () => {
    await shelf();
    const before = await Promise.all((await allKeys()).map(async (k) => [k, await raw.dump(k)] as const));
    const attempts: unknown[] = [
      { pages: "many", genre: 3 },
      { title: "Renamed" },
      { pagez: 1 },
      { isbn: "978-1" }, // a unique value for ten instances
    ];
    for (const values of attempts) {
      const error = await Book.query.update(values as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(isPopotoError(error, "VALIDATION")).toBe(true);
      expect((error as Error).message).toContain("UpdBook cannot be updated");
    }
    const bad = (await Book.query
      .update({ pages: "many", genre: 3 } as never)
      .catch((e: unknown) => e)) as ValidationError;
    expect(bad.issues.map((i) => i.field).sort()).toEqual(["genre", "pages"]);
    const after = await Promise.all((await allKeys()).map(async (k) => [k, await raw.dump(k)] as const));
    expect(after).toEqual(before);
  });

  it("a unique value on one match is written; held by another instance, it is refused", async () => {
    await shelf();
    expect(await Book.query.filter({ title: "B1" }).update({ isbn: "978-1" })).toBe(1);
    expect(await members("$UniquF:UpdBook:isbn:978/-1")).toEqual(keysOf("B1"));
    const error = await Book.query
      .filter({ title: "B2" })
      .update({ isbn: "978-1" })
      .catch((e: unknown) => e);
    expect(isPopotoError(error, "UNIQUE_VIOLATION")).toBe(true);
    expect(await members("$UniquF:UpdBook:isbn:978/-1")).toEqual(keysOf("B1"));
  });

  it("writes in batches of one pipeline each and reports progress", async () => {
    await shelf();
    const progress: [number, number][] = [];
    const { result, roundTrips } = await countTraffic(() =>
      Book.query.update(
        { genre: "any" },
        { batchSize: 4, onProgress: (done, total) => progress.push([done, total]) },
      ),
    );
    expect(result).toBe(10);
    expect(progress).toEqual([
      [4, 10],
      [8, 10],
      [10, 10],
    ]);
    // One query, then per batch one read of the stored index fields and one pipeline of writes.
    expect(roundTrips).toBe(1 + 3 * 2);
    expect(await raw.scard("$IndexF:UpdBook:genre:any")).toBe(10);
  });

  it("passes over a match whose hash is gone, without bringing it back", async () => {
    await shelf();
    await raw.del("UpdBook:B3"); // deleted outside popoto: its index entries are left behind
    expect(await Book.query.filter({ genre: "scifi" }).update({ note: "x" })).toBe(5);
    expect(await raw.exists("UpdBook:B3")).toBe(0);
    expect(await members("$IndexF:UpdBook:note:x")).toEqual(keysOf("B0", "B1", "B2", "B4", "B5"));
  });

  it("an empty update writes nothing and returns 0", async () => {
    await shelf();
    const { result, roundTrips } = await countTraffic(() => Book.query.update({ genre: undefined }));
    expect(result).toBe(0);
    expect(roundTrips).toBe(0);
  });
});
