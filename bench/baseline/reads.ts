/**
 * The baseline's reads: the fewest commands that answer each query on popoto's layout, with
 * every matching hash read in one pipeline and decoded to a plain record.
 */
import type { Redis } from "ioredis";
import { BOOK_CLASS, BOOK_PAGES, authorKey, bookKey, booksOf } from "./keys.js";
import { readHashes } from "./pipeline.js";
import { decodeAuthor, decodeBook, type AuthorRecord, type BookRecord } from "./records.js";

/** Decoded books of these keys (keys whose hash is gone are left out). */
export async function loadBooks(redis: Redis, keys: readonly string[]): Promise<BookRecord[]> {
  const hashes = await readHashes(redis, keys);
  const books: BookRecord[] = [];
  keys.forEach((key, i) => {
    const book = decodeBook(key, hashes[i] ?? {});
    if (book) books.push(book);
  });
  return books;
}

/** HGETALL. */
export async function getBook(redis: Redis, title: string): Promise<BookRecord | null> {
  const key = bookKey(title);
  return decodeBook(key, (await redis.hgetallBuffer(key)) as Record<string, Buffer>);
}

/** SMEMBERS of the author's reverse set, then the hashes. */
export async function booksByAuthorKey(redis: Redis, author: string): Promise<BookRecord[]> {
  return loadBooks(redis, await redis.smembers(booksOf(author)));
}

/**
 * `author__name`: Author's only key field is `name`, so the author key is computed from the name
 * and this is `booksByAuthorKey` (it does not check that the author exists, as popoto's
 * sub-query on Author does).
 */
export const booksByAuthorName = (redis: Redis, name: string): Promise<BookRecord[]> =>
  booksByAuthorKey(redis, authorKey(name));

/** ZRANGEBYSCORE, then the hashes (in score order). */
export async function booksByPages(redis: Redis, min: number, max: number): Promise<BookRecord[]> {
  return loadBooks(redis, await redis.zrangebyscore(BOOK_PAGES, min, max));
}

/** ZRANGEBYSCORE … LIMIT, the hashes, then each distinct author's hash once. */
export async function booksWithAuthors(redis: Redis, minPages: number, limit: number): Promise<BookRecord[]> {
  const keys = await redis.zrangebyscore(BOOK_PAGES, minPages, "+inf", "LIMIT", 0, limit);
  const books = await loadBooks(redis, keys);
  const authorKeys = [
    ...new Set(books.map((b) => b.author).filter((a): a is string => typeof a === "string")),
  ];
  const hashes = await readHashes(redis, authorKeys);
  const authors = new Map<string, AuthorRecord>();
  authorKeys.forEach((key, i) => {
    const author = decodeAuthor(key, hashes[i] ?? {});
    if (author) authors.set(key, author);
  });
  for (const book of books)
    if (typeof book.author === "string") book.author = authors.get(book.author) ?? book.author;
  return books;
}

/** Books of an author with at least `minPages`: SMEMBERS, then ZMSCORE of those members. */
export async function countBooks(redis: Redis, author: string, minPages: number): Promise<number> {
  const members = await redis.smembers(booksOf(author));
  if (members.length === 0) return 0;
  const scores = await redis.zmscore(BOOK_PAGES, ...members);
  return scores.filter((s) => s !== null && Number(s) >= minPages).length;
}

/** SMEMBERS of the class set, then the hashes 1,000 per pipeline; keeps every record. */
export async function loadAll(redis: Redis): Promise<BookRecord[]> {
  const keys = await redis.smembers(BOOK_CLASS);
  const books: BookRecord[] = [];
  for (let start = 0; start < keys.length; start += 1000)
    books.push(...(await loadBooks(redis, keys.slice(start, start + 1000))));
  return books;
}

/** SSCAN 500 at a time and the hashes of each batch; records are decoded and dropped. */
export async function iterateAll(redis: Redis, onBatch: () => void): Promise<number> {
  let cursor = "0";
  let seen = 0;
  do {
    const [next, keys] = await redis.sscan(BOOK_CLASS, cursor, "COUNT", 500);
    cursor = next;
    seen += (await loadBooks(redis, keys)).length;
    onBatch();
  } while (cursor !== "0");
  return seen;
}
