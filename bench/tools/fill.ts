/**
 * Fills a database with N books and 1000 authors: exactly the hashes and index entries popoto
 * writes (the bytes of src/model/hash.ts, the entries of src/write/index-entries.ts), sent as raw
 * RESP through `redis-cli --pipe`, much faster than a write script (or an ioredis command) per
 * instance. `popoto check` then confirms the result is consistent.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { encodeHash } from "../../src/model/hash.js";
import type { ModelMeta } from "../../src/model/meta.js";
import { indexEntries } from "../../src/write/index-entries.js";
import { Author, Book } from "./models.js";

export const AUTHORS = 1000;
export const GENRES = 20;

const metaOf = (model: unknown): ModelMeta => (model as { meta: ModelMeta }).meta;

/** One command in RESP. */
const resp = (args: readonly (string | Buffer)[]): Buffer[] => {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = typeof arg === "string" ? Buffer.from(arg) : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
  }
  return parts;
};

const commands = (meta: ModelMeta, key: string, values: Map<string, unknown>): Buffer[] => {
  const out = resp(["HSET", key, ...encodeHash(meta, values).flat()]);
  for (const entry of indexEntries(meta, key, values)) {
    if (entry.kind === "s") out.push(...resp(["SADD", entry.key, entry.member]));
    else if (entry.kind === "z") out.push(...resp(["ZADD", entry.key, String(entry.score), entry.member]));
  }
  return out;
};

/** Writes N books and 1000 authors into the server at `port` (database 0). */
export async function fill(port: number, N: number): Promise<void> {
  const pipe = spawn("redis-cli", ["-p", String(port), "--pipe"], { stdio: ["pipe", "ignore", "inherit"] });
  const write = async (chunk: Buffer[]): Promise<void> => {
    if (!pipe.stdin.write(Buffer.concat(chunk))) await once(pipe.stdin, "drain");
  };
  const authors = metaOf(Author);
  const books = metaOf(Book);
  let chunk: Buffer[] = [];
  for (let a = 0; a < AUTHORS; a++)
    chunk.push(...commands(authors, `Author:a${a}`, new Map([["name", `a${a}`]])));
  for (let i = 0; i < N; i++) {
    const values = new Map<string, unknown>([
      ["id", `b${i}`],
      ["genre", `g${i % GENRES}`],
      ["author", `Author:a${i % AUTHORS}`],
      ["pages", (i * 7919) % 2000],
      ["price", (i % 5000) / 100],
    ]);
    chunk.push(...commands(books, `Book:b${i}`, values));
    if (chunk.length > 20_000) {
      await write(chunk);
      chunk = [];
    }
  }
  await write(chunk);
  pipe.stdin.end();
  const [code] = (await once(pipe, "exit")) as [number];
  if (code !== 0) throw new Error(`redis-cli --pipe exited with ${code}`);
}

// `tsx bench/tools/fill.ts <port> <instances>`: fills a server of your own for `soak.ts --port`.
if (process.argv[1] === fileURLToPath(import.meta.url))
  await fill(Number(process.argv[2]), Number(process.argv[3]));
