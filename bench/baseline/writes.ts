/**
 * The baseline's writes: each a MULTI/EXEC block (one round trip) with the hash and every index
 * entry popoto keeps. What they skip, compared with popoto's write script: no check of the stored
 * state they replace (a create assumes the key is free, a reassignment or delete trusts the
 * author it just read, with no WATCH), no validation, no retry.
 */
import type { Redis } from "ioredis";
import type { AuthorData, BookData } from "../data.js";
import { pack, unpackString } from "./codec.js";
import {
  AUTHOR_CLASS,
  BOOK_CLASS,
  BOOK_PAGES,
  authorKey,
  authorNameSet,
  bookKey,
  bookTitleSet,
  booksOf,
} from "./keys.js";
import { execChecked } from "./pipeline.js";

export async function createAuthor(redis: Redis, author: AuthorData): Promise<void> {
  const key = authorKey(author.name);
  await execChecked(
    redis
      .multi()
      .hset(key, "name", pack(author.name), "country", pack(author.country))
      .sadd(AUTHOR_CLASS, key)
      .sadd(authorNameSet(author.name), key),
  );
}

export async function createBook(redis: Redis, book: BookData, authorName: string): Promise<void> {
  const key = bookKey(book.title);
  const author = authorKey(authorName);
  await execChecked(
    redis
      .multi()
      .hset(
        key,
        "title",
        pack(book.title),
        "author",
        pack(author),
        "pages",
        pack(book.pages),
        "genre",
        pack(book.genre),
      )
      .sadd(BOOK_CLASS, key)
      .sadd(bookTitleSet(book.title), key)
      .zadd(BOOK_PAGES, book.pages, key)
      .sadd(booksOf(author), key),
  );
}

/** HGET the stored author, then move the book between reverse sets; false when the book is gone. */
export async function reassign(redis: Redis, title: string, authorName: string): Promise<boolean> {
  const key = bookKey(title);
  const stored = await redis.hgetBuffer(key, "author");
  if (stored === null) return false;
  const next = authorKey(authorName);
  await execChecked(
    redis
      .multi()
      .hset(key, "author", pack(next))
      .srem(booksOf(unpackString(stored)), key)
      .sadd(booksOf(next), key),
  );
  return true;
}

/** HGET the stored author (the only index entry the title does not name), then delete everything. */
export async function deleteBook(redis: Redis, title: string): Promise<boolean> {
  const key = bookKey(title);
  const stored = await redis.hgetBuffer(key, "author");
  if (stored === null) return false;
  await execChecked(
    redis
      .multi()
      .del(key)
      .srem(BOOK_CLASS, key)
      .srem(bookTitleSet(title), key)
      .zrem(BOOK_PAGES, key)
      .srem(booksOf(unpackString(stored)), key),
  );
  return true;
}
