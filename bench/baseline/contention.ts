/**
 * The baseline's writes under contention: what a careful developer writes by hand so that many
 * writers on one key never fail. A read-modify-write of a msgpack value cannot be a plain HINCRBY
 * or SADD, so the increment and the list append are small Lua scripts (Redis bundles cmsgpack,
 * whose bytes for ints and short strings are @msgpack/msgpack's); the hot-row save trusts what it
 * read (no WATCH: last writer wins).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { pack } from "./codec.js";
import {
  BOOK_PAGES,
  SHELF_CLASS,
  SHELF_NAME_LEX,
  SHELF_NAME_LEX_REV,
  bookKey,
  lexMember,
  lexReverseMember,
  shelfKey,
  shelfNameSet,
  shelvesOf,
} from "./keys.js";
import { execChecked } from "./pipeline.js";
import { decodeBook } from "./records.js";

/** KEYS: the book's hash, its sorted index. ARGV: the field, the amount. Returns the new value. */
const INCREMENT = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return redis.error_reply('no such book') end
local value = cmsgpack.unpack(stored) + tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], cmsgpack.pack(value))
redis.call('ZADD', KEYS[2], value, KEYS[1])
return value`;

/**
 * KEYS: the shelf's hash, the book's reverse set, the reverse set of shelves holding none.
 * ARGV: the field, the book's key. Returns 1 when added, 0 when it was there.
 */
const APPEND = `
local list = cmsgpack.unpack(redis.call('HGET', KEYS[1], ARGV[1]) or '\\144')
for _, member in ipairs(list) do if member == ARGV[2] then return 0 end end
if #list == 0 then redis.call('SREM', KEYS[3], KEYS[1]) end
list[#list + 1] = ARGV[2]
redis.call('HSET', KEYS[1], ARGV[1], cmsgpack.pack(list))
redis.call('SADD', KEYS[2], KEYS[1])
return 1`;

const sha1 = (script: string): string => createHash("sha1").update(script).digest("hex");
const SHAS = new Map([INCREMENT, APPEND].map((s) => [s, sha1(s)]));

/** EVALSHA, loading the script once if Redis does not have it yet. */
async function runScript(redis: Redis, script: string, keys: readonly string[], args: readonly string[]) {
  const sha = SHAS.get(script) as string;
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
    await redis.script("LOAD", script);
    return redis.evalsha(sha, keys.length, ...keys, ...args);
  }
}

/** HGETALL, decode, then MULTI HSET pages + ZADD EXEC (only what changed is written). */
export async function saveHotRow(redis: Redis, title: string, pages: number): Promise<boolean> {
  const key = bookKey(title);
  const book = decodeBook(key, (await redis.hgetallBuffer(key)) as Record<string, Buffer>);
  if (!book) return false;
  await execChecked(redis.multi().hset(key, "pages", pack(pages)).zadd(BOOK_PAGES, pages, key));
  return true;
}

export const incrementPages = (redis: Redis, title: string, by: number): Promise<unknown> =>
  runScript(redis, INCREMENT, [bookKey(title), BOOK_PAGES], ["pages", String(by)]);

/** As popoto creates a shelf with no books: the hash, its index entries, the `None` reverse set. */
export async function createShelf(redis: Redis, name: string): Promise<void> {
  const key = shelfKey(name);
  await execChecked(
    redis
      .multi()
      .hset(key, "name", pack(name), "books", Buffer.from([0x90]))
      .sadd(SHELF_CLASS, key)
      .sadd(shelfNameSet(name), key)
      .zadd(SHELF_NAME_LEX, 0, lexMember(name, key))
      .zadd(SHELF_NAME_LEX_REV, 0, lexReverseMember(name, key))
      .sadd(shelvesOf(null), key),
  );
}

export const shelve = (redis: Redis, shelf: string, title: string): Promise<unknown> =>
  runScript(
    redis,
    APPEND,
    [shelfKey(shelf), shelvesOf(bookKey(title)), shelvesOf(null)],
    ["books", bookKey(title)],
  );
