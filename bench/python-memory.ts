/**
 * Redis memory per bench Book, popoto against Python Popoto 0.8.3, measured the same way on a
 * private redis-server: each writes the bench's authors, then `--books` books, and the growth is
 * read both as the sum of `MEMORY USAGE` over every key (as the bench's memory pass does) and as
 * the growth of `used_memory`. Needs Popoto's source (see test/support/python-popoto.ts).
 *
 *   npx tsx bench/python-memory.ts [books, default 20000]
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect, disconnect } from "../src/index.js";
import { pythonAvailability } from "../test/support/python-popoto.js";
import { startServer } from "../test/support/redis-server.js";
import { makeData } from "./data.js";
import { redisBytes } from "./measure/memory.js";
import { Author, Book } from "./popoto/models.js";

const books = Number(process.argv[2] ?? 20000);
const python = pythonAvailability();
if (!python.ok) throw new Error(python.reason);
const server = await startServer();
const admin = server.client();
const url = server.url(0);
const data = makeData(books, 100);
const rows = [
  ...data.authors.map((a) => `A\t${a.name}\t${a.country}`),
  ...data.books.map((b) => `B\t${b.title}\t${data.authors[b.author]?.name ?? ""}\t${b.pages}\t${b.genre}`),
].join("\n");

const usedMemory = async (): Promise<number> =>
  Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1] ?? Number.NaN);

const runPython = (phase: "authors" | "books"): void => {
  const result = spawnSync(
    python.python,
    [fileURLToPath(new URL("python/books.py", import.meta.url)), phase],
    {
      input: rows,
      env: { ...process.env, REDIS_URL: url, PYTHONPATH: `${python.source}/src` },
      encoding: "utf8",
      maxBuffer: 1 << 26,
    },
  );
  if (result.status !== 0) throw new Error(result.stderr);
};

const measure = async (label: string, writeAuthors: () => Promise<void>, writeBooks: () => Promise<void>) => {
  await admin.flushall();
  await writeAuthors();
  const [bytes0, used0] = [await redisBytes(admin), await usedMemory()];
  await writeBooks();
  const [bytes1, used1] = [await redisBytes(admin), await usedMemory()];
  const perBook = (n: number): string => `${(n / books).toFixed(0)} B`;
  console.log(
    `${label}: ${await admin.dbsize()} keys; per book: MEMORY USAGE ${perBook(bytes1 - bytes0)}, used_memory ${perBook(used1 - used0)}`,
  );
};

try {
  await connect(url);
  await measure(
    "popoto",
    async () => {
      for (const a of data.authors) await Author.create({ name: a.name, country: a.country });
    },
    async () => {
      const authors = await Promise.all(data.authors.map((a) => Author.load({ name: a.name })));
      // sequential, as the Python writer: no pipelined client buffers in the growth
      for (const b of data.books)
        await Book.create({
          title: b.title,
          author: authors[b.author] ?? null,
          pages: b.pages,
          genre: b.genre,
        });
    },
  );
  await measure(
    "Python Popoto 0.8.3",
    async () => runPython("authors"),
    async () => runPython("books"),
  );
} finally {
  await disconnect();
  await server.stop();
}
