import { spawn, spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { connect, disconnect } from "./src/index.js";
import { Author, Book } from "./bench/popoto/models.js";
import { makeData } from "./bench/data.js";
import { redisBytes } from "./bench/measure/memory.js";

const port = Number(process.env.PORT ?? 6491);
const N = Number(process.env.N ?? 20000);
const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
const url = `redis://127.0.0.1:${port}/0`;
const admin = new Redis(url);
await new Promise((r) => setTimeout(r, 500));
const used = async () => Number(/used_memory:(\d+)/.exec(await admin.info("memory"))![1]);
const data = makeData(N, 100);
const tsv = [
  ...data.authors.map((a) => `A\t${a.name}\t${a.country}`),
  ...data.books.map((b) => `B\t${b.title}\t${data.authors[b.author]!.name}\t${b.pages}\t${b.genre}`),
].join("\n");
const python = (phase: string) => {
  const r = spawnSync("/usr/bin/python3", ["/tmp/mem/py_books.py", phase], {
    input: tsv, env: { ...process.env, REDIS_URL: url, PYTHONPATH: "/work/shared/popoto-py-0.8.3/src" }, encoding: "utf8", maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(r.stderr);
};
const measure = async (label: string, authors: () => Promise<void>, books: () => Promise<void>) => {
  await admin.flushall();
  await authors();
  const [b0, u0] = [await redisBytes(admin), await used()];
  await books();
  const [b1, u1] = [await redisBytes(admin), await used()];
  console.log(`${label}: keys ${await admin.dbsize()}, MEMORY USAGE ${((b1 - b0) / N).toFixed(0)} B/book, used_memory ${((u1 - u0) / N).toFixed(0)} B/book`);
};
try {
  await connect(url);
  await measure("popoto", async () => { for (const a of data.authors) await Author.create({ name: a.name, country: a.country }); }, async () => {
    const authors = await Promise.all(data.authors.map((a) => Author.load({ name: a.name })));
    for (let i = 0; i < data.books.length; i += 256)
      await Promise.all(data.books.slice(i, i + 256).map((b) => Book.create({ title: b.title, author: authors[b.author]!, pages: b.pages, genre: b.genre })));
  });
  await measure("Python Popoto 0.8.3", async () => python("authors"), async () => python("books"));
} finally {
  await disconnect(); await admin.quit(); server.kill();
}
