/**
 * sum / avg / min / max / countBy computed in Redis: each is one query.lua call (no instance
 * loaded), gives what the loaded instances say, and gives the same in bounded steps.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  configureQueryLimits,
  DateField,
  IndexedField,
  KeyField,
  Model,
  QueryError,
  SortedField,
} from "../../src/index.js";
import { layoutKey, raw, useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

afterEach(() => {
  configureQueryLimits({ reset: true });
});

class Book extends Model("AggBook", {
  title: KeyField(),
  lang: KeyField(),
  genre: IndexedField({ null: true }),
  pages: SortedField({ type: "int" }),
  rating: SortedField({ type: "float" }),
  published: SortedField({ type: "date" }),
  printed: DateField({ null: true }),
}) {}

class Score extends Model("AggScore", {
  player: KeyField(),
  league: KeyField(),
  points: SortedField({ type: "int", partitionBy: "league" }),
}) {}

const GENRES = ["sf", "fantasy", null] as const;

async function shelf(count = 40): Promise<Book[]> {
  const books: Book[] = [];
  for (let i = 0; i < count; i++)
    books.push(
      await Book.create({
        title: `T${i}`,
        lang: i % 4 === 0 ? "fr" : "en",
        genre: GENRES[i % 3] ?? null,
        pages: 50 + ((i * 37) % 400),
        rating: (i % 10) / 2 + 0.25,
        published: new Date(Date.UTC(1990 + (i % 30), i % 12, 1 + (i % 28))),
        printed: null,
      }),
    );
  return books;
}

/** The reference: the same figures computed from the loaded instances. */
function expected(books: readonly Book[]) {
  const pages = books.map((b) => b.pages);
  const dates = books.map((b) => b.published.getTime());
  const counts = new Map<string | null, number>();
  for (const b of books) counts.set(b.genre, (counts.get(b.genre) ?? 0) + 1);
  return {
    sum: pages.reduce((a, b) => a + b, 0),
    avg: pages.length === 0 ? null : pages.reduce((a, b) => a + b, 0) / pages.length,
    min: pages.length === 0 ? null : Math.min(...pages),
    max: pages.length === 0 ? null : Math.max(...pages),
    first: dates.length === 0 ? null : new Date(Math.min(...dates)),
    genres: counts,
  };
}

async function figures(query: typeof Book.query | ReturnType<typeof Book.query.filter>) {
  const genres = await query.countBy("genre");
  return {
    sum: await query.sum("pages"),
    avg: await query.avg("pages"),
    min: await query.min("pages"),
    max: await query.max("pages"),
    first: await query.min("published"),
    genres: new Map([...genres].sort((a, b) => String(a[0]).localeCompare(String(b[0])))),
  };
}

const sortedCounts = (m: Map<string | null, number>) =>
  new Map([...m].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));

describe("aggregates in Redis", () => {
  it("sum, avg, min, max and countBy match the loaded instances, with and without filters", async () => {
    await shelf();
    const filters = [
      {},
      { genre: "sf" },
      { lang: "fr" },
      { pages__gte: 200 },
      { pages__gte: 200, genre: "fantasy" },
    ] as const;
    for (const where of filters) {
      const query = Book.query.filter(where);
      const books = await query;
      const want = expected(books);
      expect(await figures(query)).toEqual({ ...want, genres: sortedCounts(want.genres) });
    }
    // A float field: the scores are the values.
    const ratings = (await Book.query).map((b) => b.rating);
    expect(await Book.query.sum("rating")).toBeCloseTo(
      ratings.reduce((a, b) => a + b, 0),
      9,
    );
    expect(await Book.query.max("rating")).toBe(Math.max(...ratings));
  });

  it("no matches: sum 0, avg / min / max null, countBy empty", async () => {
    await shelf(5);
    const none = Book.query.filter({ genre: "poetry" });
    expect(await none.sum("pages")).toBe(0);
    expect(await none.avg("pages")).toBeNull();
    expect(await none.min("published")).toBeNull();
    expect(await none.max("pages")).toBeNull();
    expect((await none.countBy("genre")).size).toBe(0);
  });

  it("countBy a key field reads the keys, most frequent first; nulls count under null", async () => {
    await shelf(12);
    expect([...(await Book.query.countBy("lang"))]).toEqual([
      ["en", 9],
      ["fr", 3],
    ]);
    const genres = await Book.query.countBy("genre");
    expect(genres.get(null)).toBe(4);
    expect(genres.get("sf")).toBe(4);
  });

  it("each is one round trip (one EVALSHA) and loads no instance", async () => {
    await shelf(20);
    const runs: (() => Promise<unknown>)[] = [
      () => Book.query.filter({ genre: "sf" }).sum("pages"),
      () => Book.query.avg("pages"),
      () => Book.query.filter({ lang: "en" }).min("published"),
      () => Book.query.max("pages"),
      () => Book.query.filter({ pages__lt: 300 }).countBy("genre"),
    ];
    for (const run of runs) {
      const { roundTrips, commands } = await countTraffic(run);
      expect(roundTrips).toBe(1);
      expect(commands).toEqual(["EVALSHA"]);
    }
  });

  it("over the script budget, the same figures in bounded steps", async () => {
    await shelf(60);
    const inOne = {
      all: await figures(Book.query),
      sf: await figures(Book.query.filter({ genre: "sf" })),
      langs: await Book.query.countBy("lang"),
    };
    configureQueryLimits({ scriptBudget: 10, chunkSize: 10 });
    const { roundTrips } = await countTraffic(() => Book.query.sum("pages"));
    expect(roundTrips).toBeGreaterThan(3); // really in steps
    expect(await figures(Book.query)).toEqual(inOne.all);
    expect(await figures(Book.query.filter({ genre: "sf" }))).toEqual(inOne.sf);
    expect(await Book.query.countBy("lang")).toEqual(inOne.langs);
  });

  it("a partitioned sorted field aggregates within the partition the filter names", async () => {
    for (const [player, league, points] of [
      ["ann", "east", 10],
      ["bob", "east", 30],
      ["cy", "west", 7],
    ] as const)
      await Score.create({ player, league, points });
    expect(await Score.query.filter({ league: "east" }).sum("points")).toBe(40);
    expect(await Score.query.filter({ league: "west" }).max("points")).toBe(7);
    await expect(Score.query.sum("points")).rejects.toThrow(/league/);
  });

  it("reads the index, not the hashes: sum follows the sorted set's scores", async () => {
    await shelf(3);
    // The index is what popoto answers from; a score written there is what sum() adds up.
    await raw.zadd("$SortF:AggBook:pages", 1000, layoutKey("AggBook:en:T1"));
    const books = await Book.query;
    const others = books.filter((b) => b.title !== "T1").reduce((a, b) => a + b.pages, 0);
    expect(await Book.query.sum("pages")).toBe(others + 1000);
  });

  it("names a field it cannot aggregate with a QueryError", async () => {
    const untyped = Book.query as unknown as {
      sum(f: string): Promise<number>;
      countBy(f: string): Promise<unknown>;
    };
    await expect(untyped.sum("published")).rejects.toThrow(QueryError);
    await expect(untyped.sum("genre")).rejects.toThrow(/SortedField/);
    await expect(untyped.countBy("printed")).rejects.toThrow(/IndexedField/);
  });
});
