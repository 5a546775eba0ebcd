/**
 * Fault: Redis is out of memory (maxmemory reached, policy noeviction). Writes that Redis refuses
 * fail with a clear PopotoError and leave nothing behind; reads keep working; once memory is
 * freed the same writes succeed. Runs against a redis-server of its own (CONFIG SET there only).
 *
 * What Redis does: a Lua script without flags (write.lua) is refused at its first command that
 * may grow memory (SADD, ZADD, HSET…) if it has written nothing before it; once it has written
 * (a DEL or SREM first), it runs to the end. So a refused write is refused as a whole, and some
 * writes (updates that start by removing old entries) still go through over the limit.
 */
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  KeyField,
  Model,
  Relationship,
  SortedField,
  UniqueField,
  connect,
  disconnect,
  isPopotoError,
} from "../../src/index.js";
import { startServer, type PrivateServer } from "../support/redis-server.js";

class Author extends Model("Author", { name: KeyField() }) {}
class Book extends Model("Book", {
  title: KeyField(),
  isbn: UniqueField(),
  author: Relationship(Author, { null: true }),
  pages: SortedField({ type: "int" }),
}) {}

let server: PrivateServer | undefined;

afterEach(async () => {
  await disconnect();
  await server?.stop();
  server = undefined;
});

/** Sets maxmemory a little above what is used and fills the rest with raw strings until Redis refuses. */
async function fillMemory(admin: Redis): Promise<number> {
  const used = Number((await admin.info("memory")).match(/used_memory:(\d+)/)?.[1]);
  await admin.config("SET", "maxmemory-policy", "noeviction");
  await admin.config("SET", "maxmemory", String(used + 2_000_000));
  const chunk = "x".repeat(100_000);
  for (let i = 0; i < 1000; i++) {
    try {
      await admin.set(`filler:${i}`, chunk);
    } catch (error) {
      expect((error as Error).message).toMatch(/^OOM/);
      // Memory can fall back below the limit once buffers are freed; pin the limit under what the
      // fillers hold so every write that grows memory is refused from here on.
      const full = Number((await admin.info("memory")).match(/used_memory:(\d+)/)?.[1]);
      await admin.config("SET", "maxmemory", String(full - 500_000));
      return i;
    }
  }
  throw new Error("Redis never refused a write");
}

interface Attempt {
  readonly label: string;
  readonly error: unknown;
}

const attempt = async (label: string, action: () => Promise<unknown>): Promise<Attempt> => {
  try {
    await action();
    return { label, error: undefined };
  } catch (error) {
    return { label, error };
  }
};

const describeError = (a: Attempt): string => {
  const e = a.error as { name?: string; code?: string; message?: string };
  return `${a.label}: ${e.name} (code ${e.code ?? "none"}): ${e.message}`;
};

describe("Redis at maxmemory with noeviction", () => {
  it("refused writes fail with a clear PopotoError, leave nothing behind, and succeed once memory is freed", async () => {
    server = await startServer();
    const admin = server.client();
    await connect({ url: server.url() });
    const tolkien = await Author.create({ name: "Tolkien" });
    const hobbit = await Book.create({ title: "Hobbit", isbn: "1", author: tolkien, pages: 310 });
    await fillMemory(admin);

    const attempts = [
      await attempt("create", () => Book.create({ title: "New", isbn: "2", author: tolkien, pages: 1 })),
      await attempt("getOrCreate", () =>
        Book.getOrCreate({ title: "Goc" }, { isbn: "3", author: null, pages: 1 }),
      ),
      await attempt("bulkCreate", () =>
        Book.bulkCreate([
          { title: "B1", isbn: "b1", author: null, pages: 1 },
          { title: "B2", isbn: "b2", author: tolkien, pages: 2 },
        ]),
      ),
      await attempt("atomicIncrement", () => hobbit.atomicIncrement("pages", 1)),
    ];
    const refused = attempts.filter((a) => a.error !== undefined);
    expect(refused.length, "Redis refused some writes").toBeGreaterThan(0);

    // reads still work at maxmemory
    expect(await Book.query.filter({ author: tolkien }).count()).toBeGreaterThanOrEqual(1);
    expect((await Book.load({ title: "Hobbit" }))?.isbn).toBe("1");

    // nothing half-written: every index matches the hashes, and a refused write left no trace
    for (const model of [Author, Book]) {
      const report = await model.checkIndexes();
      expect(report.differences).toEqual([]);
      expect(report.misplaced).toEqual([]);
    }
    const refusedLabels = refused.map((a) => a.label);
    if (refusedLabels.includes("getOrCreate"))
      expect(await admin.exists("Book:Goc", "$UniquF:Book:isbn:3")).toBe(0);
    if (refusedLabels.includes("bulkCreate")) expect(await admin.exists("Book:B1", "Book:B2")).toBe(0);
    if (refusedLabels.includes("atomicIncrement"))
      expect(await admin.zscore("$SortF:Book:pages", "Book:Hobbit")).toBe("310");

    // freeing memory (here: lifting the limit) makes the same writes succeed
    await admin.config("SET", "maxmemory", "0");
    await Book.getOrCreate({ title: "Goc" }, { isbn: "3", author: null, pages: 1 });
    await Book.bulkCreate([
      { title: "B1", isbn: "b1", author: null, pages: 1 },
      { title: "B2", isbn: "b2", author: tolkien, pages: 2 },
    ]);
    const fresh = await Book.load({ title: "Hobbit" });
    await fresh?.atomicIncrement("pages", 1);
    expect(await Book.query.count()).toBe(refusedLabels.includes("create") ? 4 : 5);
    expect((await Book.checkIndexes()).differences).toEqual([]);

    // the error a refused write gives: a PopotoError that says Redis is out of memory
    // (observed: a raw ioredis ReplyError "OOM command not allowed when used memory > 'maxmemory'.
    // script: <sha>, on @user_script:158.", with no code)
    const unclear = refused.filter(
      (a) => !isPopotoError(a.error) || !/memory/i.test((a.error as Error).message),
    );
    expect(unclear.map(describeError)).toEqual([]);
  }, 20_000);

  it("deletes still work at maxmemory (they free memory)", async () => {
    server = await startServer();
    const admin = server.client();
    await connect({ url: server.url() });
    const books = await Book.bulkCreate(
      Array.from({ length: 20 }, (_, i) => ({ title: `t${i}`, isbn: `i${i}`, author: null, pages: i })),
    );
    await fillMemory(admin);
    expect(await books[0]!.delete()).toBe(true);
    expect(await Book.bulkDelete(books.slice(1, 5))).toBe(4);
    expect(await Book.query.count()).toBe(15);
    expect((await Book.checkIndexes()).differences).toEqual([]);
  }, 20_000);
});
