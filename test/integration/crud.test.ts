/**
 * create, save, load, get, delete, upsert: what each leaves in Redis, and that every write is
 * one atomic script (checked with MONITOR: no write command runs outside Lua).
 */
import { startMonitor, type Monitor } from "../support/monitor.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  Field,
  IntField,
  KeyField,
  Model,
  MultipleResultsError,
  PopotoError,
  SortedField,
  UniqueKeyField,
} from "../../src/index.js";
import { caught, dump, fixstr, members, specKeys, zmembers } from "../support/inspect.js";
import { allKeys, hexOf, raw, TEST_DB, useRedis } from "../support/redis.js";

useRedis();

class Book extends Model("Book", {
  title: KeyField(),
  pages: SortedField({ type: "int" }),
  genre: Field({ type: "string", null: true }),
}) {
  get label(): string {
    return `${this.title} (${this.pages} pages)`;
  }
  shout(): string {
    return this.title.toUpperCase();
  }
}

class Member extends Model("Member", {
  band: KeyField(),
  role: KeyField(),
  name: Field(),
  _secret: Field({ null: true }),
}) {}

class Counter extends Model("Counter", { name: UniqueKeyField(), hits: IntField({ default: 0 }) }) {}

describe("create and load", () => {
  it("create returns an instance of the subclass, saved with its indexes", async () => {
    const hobbit = await Book.create({ title: "The Hobbit", pages: 310 });
    expect(hobbit).toBeInstanceOf(Book);
    expect(hobbit.label).toBe("The Hobbit (310 pages)");
    expect(hobbit.shout()).toBe("THE HOBBIT");
    expect(hobbit.genre).toBeNull();
    expect(hobbit.redisKey).toBe("Book:The Hobbit");
    expect(await dump({ specOnly: true })).toEqual({
      "$Class:Book": { type: "set", members: ["Book:The Hobbit"] },
      "$KeyF:Book:title:The Hobbit": { type: "set", members: ["Book:The Hobbit"] },
      "$SortF:Book:pages": { type: "zset", members: { "Book:The Hobbit": 310 } },
      "Book:The Hobbit": {
        type: "hash",
        fields: { title: fixstr("The Hobbit"), pages: "cd0136", genre: "c0" },
      },
    });
  });

  it("load returns the subclass by key values or by instance key, null when absent", async () => {
    await Book.create({ title: "Dune", pages: 412, genre: "sf" });
    const byValues = await Book.load({ title: "Dune" });
    expect(byValues).toBeInstanceOf(Book);
    expect(byValues?.label).toBe("Dune (412 pages)");
    expect(byValues?.genre).toBe("sf");
    const byKey = await Book.load("Book:Dune");
    expect(byKey?.pages).toBe(412);
    expect(await Book.load({ title: "Missing" })).toBeNull();
    expect(await Book.load("Book:Missing")).toBeNull();
  });

  it("a constructed instance, assigned and saved, equals what get() returns", async () => {
    const draft = new Book({ title: "Draft", pages: 1 });
    draft.genre = "essay";
    expect(await raw.exists("Book:Draft")).toBe(0);
    const returned = await draft.save();
    expect(returned).toBe(draft);
    const got = await Book.query.get({ title: "Draft" });
    expect(got?.toJSON()).toEqual({ title: "Draft", pages: 1, genre: "essay" });
    expect(await hexOf("Book:Draft", "genre")).toBe(fixstr("essay"));
  });

  it("query results are instances of the subclass", async () => {
    await Book.create({ title: "A", pages: 1 });
    // Book is not registered in `interface Models`, so results are typed as the base instance;
    // at run time they are built with the subclass, getters and methods included.
    const asBook = (row: unknown): Book => row as Book;
    const [all] = await Book.query.all();
    expect(all).toBeInstanceOf(Book);
    expect(asBook(all).label).toBe("A (1 pages)");
    const first = await Book.query.filter({ pages__gte: 0 }).first();
    expect(first).toBeInstanceOf(Book);
    expect(asBook(first).shout()).toBe("A");
    const got = await Book.objects.get({ title: "A" });
    expect(got).toBeInstanceOf(Book);
    expect(asBook(got).label).toBe("A (1 pages)");
  });

  it("toJSON leaves hidden fields out; the hash keeps them", async () => {
    const m = await Member.create({ band: "B", role: "r", name: "n", _secret: "s" });
    expect(m.toJSON()).toEqual({ band: "B", role: "r", name: "n" });
    expect(await hexOf(m.redisKey, "_secret")).toBe(fixstr("s"));
    expect((await Member.load({ band: "B", role: "r" }))?._secret).toBe("s");
  });

  it("applies defaults", async () => {
    const c = await Counter.create({ name: "x" });
    expect(c.hits).toBe(0);
    expect(await hexOf("Counter:x", "hits")).toBe("00");
  });
});

describe("get", () => {
  it("finds by every key field, by other lookups, and returns null when nothing matches", async () => {
    await Member.create({ band: "BLACKPINK", role: "singer", name: "Jisoo" });
    await Member.create({ band: "BLACKPINK", role: "rapper", name: "Lisa" });
    expect((await Member.query.get({ band: "BLACKPINK", role: "rapper" }))?.name).toBe("Lisa");
    expect((await Member.query.get({ role: "singer" }))?.name).toBe("Jisoo");
    expect(await Member.query.get({ band: "BLACKPINK", role: "dancer" })).toBeNull();
    expect(await Member.query.get({ role: "dancer" })).toBeNull();
  });

  it("throws MultipleResultsError when several match", async () => {
    await Member.create({ band: "BLACKPINK", role: "singer", name: "Jisoo" });
    await Member.create({ band: "BLACKPINK", role: "rapper", name: "Lisa" });
    const error = await caught(() => Member.query.get({ band: "BLACKPINK" }), MultipleResultsError);
    expect(error).toBeInstanceOf(PopotoError);
    expect(error.code).toBe("MULTIPLE_RESULTS");
    expect(error.message).toContain("Member");
  });
});

describe("save", () => {
  it("updates plain and sorted values in place", async () => {
    const hobbit = await Book.create({ title: "The Hobbit", pages: 310 });
    hobbit.pages = 320;
    hobbit.genre = "fantasy";
    await hobbit.save();
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:The Hobbit": 320 });
    expect(await hexOf("Book:The Hobbit", "pages")).toBe("cd0140");
    expect(await hexOf("Book:The Hobbit", "genre")).toBe(fixstr("fantasy"));
    expect(await specKeys()).toEqual([
      "$Class:Book",
      "$KeyF:Book:title:The Hobbit",
      "$SortF:Book:pages",
      "Book:The Hobbit",
    ]);
  });

  it("save() of a new instance on an existing key replaces the row (upsert) and leaves one set of entries", async () => {
    await Book.create({ title: "Dune", pages: 412, genre: "sf" });
    await new Book({ title: "Dune", pages: 500 }).save();
    expect(await Book.query.count()).toBe(1);
    expect(await members("$Class:Book")).toEqual(["Book:Dune"]);
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:Dune": 500 });
    expect(await hexOf("Book:Dune", "genre")).toBe("c0");
  });

  it("saving twice without changes writes the same bytes", async () => {
    const b = await Book.create({ title: "Same", pages: 2 });
    const before = await dump();
    await b.save();
    expect(await dump()).toEqual(before);
  });

  it("clears a nullable value back to nil", async () => {
    const b = await Book.create({ title: "G", pages: 2, genre: "x" });
    b.genre = null;
    await b.save();
    expect(await hexOf("Book:G", "genre")).toBe("c0");
    expect((await Book.load({ title: "G" }))?.genre).toBeNull();
  });
});

describe("delete", () => {
  it("removes the hash and every index entry, and reports whether the row existed", async () => {
    const a = await Book.create({ title: "A", pages: 1 });
    const b = await Book.create({ title: "B", pages: 2 });
    expect(await a.delete()).toBe(true);
    expect(await raw.exists("Book:A")).toBe(0);
    expect(await members("$Class:Book")).toEqual(["Book:B"]);
    expect(await raw.exists("$KeyF:Book:title:A")).toBe(0);
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:B": 2 });
    expect(await a.delete()).toBe(false);
    expect(await b.delete()).toBe(true);
    expect(await allKeys()).toEqual([]);
  });

  it("delete of an instance that was never saved writes nothing and returns false", async () => {
    await Book.create({ title: "Kept", pages: 5 });
    const before = await dump();
    expect(await new Book({ title: "Ghost", pages: 9 }).delete()).toBe(false);
    expect(await dump()).toEqual(before);
  });

  it("a deleted instance can be saved again", async () => {
    const a = await Book.create({ title: "A", pages: 1 });
    await a.delete();
    await a.save();
    expect(await members("$Class:Book")).toEqual(["Book:A"]);
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:A": 1 });
  });
});

describe("query helpers", () => {
  it("count, exists, keys and first reflect the rows", async () => {
    expect(await Book.query.count()).toBe(0);
    expect(await Book.query.exists()).toBe(false);
    expect(await Book.query.first()).toBeNull();
    await Book.create({ title: "A", pages: 1 });
    await Book.create({ title: "B", pages: 2 });
    expect(await Book.query.count()).toBe(2);
    expect(await Book.query.count({ pages__gt: 1 })).toBe(1);
    expect(await Book.query.filter({ pages__gt: 1 }).count()).toBe(1);
    expect(await Book.query.filter({ pages__gt: 5 }).exists()).toBe(false);
    expect(await Book.query.exists()).toBe(true);
    expect((await Book.query.keys()).sort()).toEqual(["Book:A", "Book:B"]);
    expect(await Book.query.filter({ title: "B" }).keys()).toEqual(["Book:B"]);
  });

  it("queries are immutable: refining one leaves the original as it was", async () => {
    await Book.create({ title: "A", pages: 1 });
    await Book.create({ title: "B", pages: 2 });
    const base = Book.query.filter({ pages__gte: 1 });
    const narrowed = base.filter({ title: "A" });
    const limited = base.limit(1);
    expect((await base).length).toBe(2);
    expect((await narrowed).map((b) => b.title)).toEqual(["A"]);
    expect((await limited).length).toBe(1);
    expect((await base).length).toBe(2);
  });
});

describe("atomic writes", () => {
  let monitor: Monitor | undefined;
  let seen: { args: string[]; source: string }[];

  beforeEach(async () => {
    seen = [];
    // Only this test database's commands: other clients may be using the same server.
    monitor = await startMonitor(raw.options, ({ db, args, source }) => {
      if (db === TEST_DB) seen.push({ args, source });
    });
  });

  afterEach(() => {
    monitor?.close();
  });

  /** Waits until MONITOR has shown everything sent before this call. */
  const settle = async (): Promise<{ args: string[]; source: string }[]> => {
    const marker = `settle-${Math.random()}`;
    await raw.echo(marker);
    // MONITOR's feed lags behind the replies on a loaded machine: wait for the marker up to 20 s.
    for (let i = 0; i < 2000 && !seen.some((s) => s.args.includes(marker)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const index = seen.findIndex((s) => s.args.includes(marker));
    expect(index).toBeGreaterThanOrEqual(0);
    const out = seen.slice(0, index);
    seen = [];
    return out;
  };

  const WRITES = new Set([
    "hset",
    "hmset",
    "sadd",
    "srem",
    "zadd",
    "zrem",
    "del",
    "unlink",
    "expire",
    "pexpire",
  ]);
  const writesOutsideLua = (log: { args: string[]; source: string }[]) =>
    log.filter((e) => WRITES.has((e.args[0] ?? "").toLowerCase()) && e.source !== "lua");
  const scriptCalls = (log: { args: string[]; source: string }[]) =>
    log.filter((e) => ["evalsha", "eval"].includes((e.args[0] ?? "").toLowerCase()) && e.source !== "lua");

  it("a save, an update, a key move and a delete each run as one script", async () => {
    await settle();
    const b = await Book.create({ title: "A", pages: 1 });
    let log = await settle();
    expect(writesOutsideLua(log)).toEqual([]);
    expect(scriptCalls(log).length).toBe(1);
    expect(log.some((e) => e.source === "lua" && e.args[0]?.toLowerCase() === "hset")).toBe(true);

    b.pages = 2;
    await b.save();
    log = await settle();
    expect(writesOutsideLua(log)).toEqual([]);
    expect(scriptCalls(log).length).toBe(1);

    b.title = "B";
    await b.save();
    log = await settle();
    expect(writesOutsideLua(log)).toEqual([]);
    expect(scriptCalls(log).length).toBe(1);
    expect(log.some((e) => e.source === "lua" && e.args[0]?.toLowerCase() === "rename")).toBe(true);

    await b.delete();
    log = await settle();
    expect(writesOutsideLua(log)).toEqual([]);
    expect(scriptCalls(log).length).toBe(1);
    expect(await allKeys()).toEqual([]);
  });
});
