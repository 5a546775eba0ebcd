/**
 * page(cursor): keyset pages. Every page is checked against the reference: the full ordered
 * result as an awaited query returns it now, cut after the previous page's last (score, key).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  configureQueryLimits,
  IndexedField,
  InvalidCursorError,
  isPopotoError,
  KeyField,
  Model,
  QueryError,
  SortedField,
} from "../../src/index.js";
import { raw, useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

afterEach(() => {
  configureQueryLimits({ reset: true });
});

class Book extends Model("PageBook", {
  title: KeyField(),
  genre: IndexedField(),
  pages: SortedField({ type: "int" }),
}) {}

/** 30 books, pages repeating every 7 so pages hold ties that span page boundaries. */
async function shelf(count = 30): Promise<void> {
  for (let i = 0; i < count; i++)
    await Book.create({
      title: `B${String(i).padStart(2, "0")}`,
      genre: i % 5 === 0 ? "poetry" : i % 2 ? "sf" : "fantasy",
      pages: 100 + (i % 7) * 10,
    });
}

const label = (b: Book): string => `${b.title}/${b.pages}`;

/** Every page of a query, following `next` until it is null. */
async function allPages(run: (cursor: string | null) => Promise<{ items: Book[]; next: string | null }>) {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page = await run(cursor);
    pages.push(page.items.map(label));
    cursor = page.next;
    if (pages.length > 100) throw new Error("no end of pages");
  } while (cursor !== null);
  return pages;
}

describe("page() by a sorted field", () => {
  it("pages through the whole ordered result, ties included, and ends with next null", async () => {
    await shelf();
    const pages = await allPages((c) => Book.query.orderBy("-pages").limit(4).page(c));
    const whole = (await Book.query.orderBy("-pages")).map(label);
    expect(pages.flat()).toEqual(whole);
    expect(pages.slice(0, -1).every((p) => p.length === 4)).toBe(true);
    expect(pages).toHaveLength(8); // 30 rows: seven full pages and one of 2
    const ascending = await allPages((c) => Book.query.orderBy("pages").limit(7).page(c));
    expect(ascending.flat()).toEqual((await Book.query.orderBy("pages")).map(label));
  });

  it("a last page that is exactly full has next null (no empty page after it)", async () => {
    await shelf(8);
    const first = await Book.query.orderBy("pages").limit(4).page();
    const second = await Book.query.orderBy("pages").limit(4).page(first.next);
    expect(second.items).toHaveLength(4);
    expect(second.next).toBeNull();
  });

  it("with filters: a broad filter (ordered walk) and a narrow one (sorted in the script)", async () => {
    await shelf();
    for (const genre of ["sf", "poetry"]) {
      const pages = await allPages((c) => Book.query.filter({ genre }).orderBy("-pages").limit(3).page(c));
      expect(pages.flat()).toEqual((await Book.query.filter({ genre }).orderBy("-pages")).map(label));
    }
    const ranged = await allPages((c) => Book.query.filter({ pages__gte: 130 }).limit(5).page(c));
    expect(ranged.flat()).toEqual((await Book.query.filter({ pages__gte: 130 })).map(label));
  });

  it("is stable when rows are added, deleted or moved between pages", async () => {
    await shelf();
    const query = Book.query.orderBy("-pages").limit(5);
    const first = await query.page();
    const last = first.items[4] as Book;
    expect(label(last)).toBe("B26/150"); // 160 ×4 (B27 B20 B13 B06), then the first 150 (key descending)
    // Before the cursor: a new top book, and one of page 1 deleted: page 2 neither repeats nor skips.
    await Book.create({ title: "A-new", genre: "sf", pages: 500 });
    await (first.items[0] as Book).delete();
    // The cursor's own row deleted, and a row after it moved ahead of it.
    await last.delete();
    const mover = await Book.load({ title: "B19" }); // 150, after the cursor among the ties
    mover!.pages = 170;
    await mover!.save();
    // And a row added right after the cursor's position (same score, key after B25).
    await Book.create({ title: "B255", genre: "sf", pages: 150 });
    const second = await query.page(first.next);
    const whole = (await Book.query.orderBy("-pages")).map((b) => ({
      key: b.title,
      pages: b.pages,
      label: label(b),
    }));
    const after = whole.filter((b) => b.pages < 150 || (b.pages === 150 && b.key < "B26"));
    expect(second.items.map(label)).toEqual(after.slice(0, 5).map((b) => b.label));
    expect(second.items.map(label)).not.toContain("B19/170");
    expect(second.items.map(label).slice(0, 3)).toEqual(["B255/150", "B12/150", "B05/150"]);
  });

  it("continues the same way when the query runs in bounded steps", async () => {
    await shelf();
    const inOne = await allPages((c) => Book.query.filter({ genre: "sf" }).orderBy("pages").limit(4).page(c));
    configureQueryLimits({ scriptBudget: 10, chunkSize: 10 });
    const stepped = await allPages((c) =>
      Book.query.filter({ genre: "sf" }).orderBy("pages").limit(4).page(c),
    );
    expect(stepped).toEqual(inOne);
    const keyed = await allPages((c) => Book.query.limit(6).page(c));
    configureQueryLimits({ reset: true });
    expect(keyed.flat()).toEqual((await Book.query.limit(100).offset(0)).map(label));
  });

  it("costs one round trip per page (one EVALSHA), at the first page and the last", async () => {
    await shelf();
    let cursor: string | null = null;
    const costs: { roundTrips: number; commands: readonly string[] }[] = [];
    for (let i = 0; i < 6; i++) {
      const { result, roundTrips, commands } = await countTraffic(() =>
        Book.query.orderBy("-pages").limit(5).page(cursor),
      );
      costs.push({ roundTrips, commands });
      cursor = result.next;
    }
    expect(cursor).toBeNull();
    expect(costs.every((c) => c.roundTrips === 1 && c.commands.join() === "EVALSHA")).toBe(true);
  });
});

class Score extends Model("PageScore", {
  player: KeyField(),
  league: KeyField(),
  points: SortedField({ type: "int", partitionBy: "league" }),
}) {}

class Visit extends Model("PageVisit", { id: KeyField(), at: SortedField({ type: "int" }) }, { ttl: 3600 }) {}

describe("page() on partitioned sorted fields and ttl models", () => {
  it("pages within the partition the filter names, and refuses an order across partitions", async () => {
    for (let i = 0; i < 9; i++)
      await Score.create({ player: `p${i}`, league: i % 2 ? "east" : "west", points: i * 3 });
    const east = Score.query.filter({ league: "east" }).orderBy("-points").limit(2);
    const titles: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Score[]; next: string | null } = await east.page(cursor);
      titles.push(...page.items.map((s) => s.player));
      cursor = page.next;
    } while (cursor !== null);
    expect(titles).toEqual(["p7", "p5", "p3", "p1"]);
    await expect(Score.query.orderBy("points").limit(2).page()).rejects.toThrow(/league/);
  });

  it("skips instances whose hash expired (their entries are left behind)", async () => {
    for (let i = 0; i < 8; i++) await Visit.create({ id: `v${i}`, at: i });
    await raw.del("PageVisit:v2", "PageVisit:v5"); // as if they expired
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Visit[]; next: string | null } = await Visit.query
        .orderBy("at")
        .limit(3)
        .page(cursor);
      ids.push(...page.items.map((v) => v.id));
      cursor = page.next;
    } while (cursor !== null);
    expect(ids).toEqual(["v0", "v1", "v3", "v4", "v6", "v7"]);
  });
});

describe("page() by key", () => {
  it("without orderBy, pages in instance-key order and stays stable across inserts and deletes", async () => {
    await shelf();
    const first = await Book.query.filter({ genre: "fantasy" }).limit(4).page();
    expect(first.items.map((b) => b.title)).toEqual(["B02", "B04", "B06", "B08"]);
    await Book.create({ title: "B01x", genre: "fantasy", pages: 1 }); // before the cursor
    await (await Book.load({ title: "B08" }))!.delete(); // the cursor's row
    const second = await Book.query.filter({ genre: "fantasy" }).limit(4).page(first.next);
    expect(second.items.map((b) => b.title)).toEqual(["B12", "B14", "B16", "B18"]);
  });
});

describe("page() refuses what it cannot continue", () => {
  it("a damaged, edited or foreign cursor is an InvalidCursorError (INVALID_CURSOR)", async () => {
    await shelf(10);
    const { next } = await Book.query.orderBy("-pages").limit(3).page();
    expect(typeof next).toBe("string");
    const cursor = next as string;
    const [payload, check] = cursor.split(".") as [string, string];
    const edited = Buffer.from(
      Buffer.from(payload, "base64url")
        .toString("utf8")
        .replace(/"s":\d+/, '"s":1'),
    ).toString("base64url");
    const bad = ["not a cursor", `${payload}.${check.slice(1)}x`, `${edited}.${check}`, `${payload}`, ""];
    for (const cursor of bad) {
      const error = await Book.query
        .orderBy("-pages")
        .limit(3)
        .page(cursor)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCursorError);
      expect(isPopotoError(error, "INVALID_CURSOR")).toBe(true);
      expect((error as Error).message).toContain("PageBook");
    }
    // The next of another order, or of key order, does not continue this one.
    for (const other of [Book.query.orderBy("pages"), Book.query]) {
      const error = await other
        .limit(3)
        .page(cursor)
        .catch((e: unknown) => e);
      expect(isPopotoError(error, "INVALID_CURSOR")).toBe(true);
    }
  });

  it("needs limit(), no offset(), and an order by one sorted field or by key", async () => {
    await expect(Book.query.orderBy("-pages").page()).rejects.toThrow(QueryError);
    await expect(Book.query.orderBy("-pages").limit(3).offset(3).page()).rejects.toThrow(/offset/);
    await expect(Book.query.orderBy("genre").limit(3).page()).rejects.toThrow(/one sorted field/);
    await expect(Book.query.orderBy("pages", "title").limit(3).page()).rejects.toThrow(QueryError);
  });
});
