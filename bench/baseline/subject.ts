/** The baseline as a benchmark subject: hand-written ioredis code on popoto's layout. */
import type { Redis } from "ioredis";
import { authorName, type AuthorData, type BookData } from "../data.js";
import { Traffic } from "../measure/traffic.js";
import type { Subject } from "../subject.js";
import * as contention from "./contention.js";
import { authorKey, booksOf } from "./keys.js";
import * as reads from "./reads.js";
import * as writes from "./writes.js";

export function baselineSubject(redis: Redis): Subject {
  return {
    name: "baseline",
    traffic: new Traffic(redis),
    reset: () => undefined,
    loadAuthors: () => Promise.resolve(),
    createAuthor: (author: AuthorData) => writes.createAuthor(redis, author),
    createBook: (book: BookData) => writes.createBook(redis, book, authorName(book.author)),
    getBook: (title) => reads.getBook(redis, title),
    booksByAuthor: (author) => reads.booksByAuthorKey(redis, authorKey(authorName(author))),
    booksByAuthorName: (name) => reads.booksByAuthorName(redis, name),
    booksByPages: (min, max) => reads.booksByPages(redis, min, max),
    reassign: (title, author) => writes.reassign(redis, title, authorName(author)),
    booksWithAuthors: (minPages, limit) => reads.booksWithAuthors(redis, minPages, limit),
    countBooks: (author, minPages) => reads.countBooks(redis, authorKey(authorName(author)), minPages),
    countByAuthor: (author) => redis.scard(booksOf(authorKey(authorName(author)))),
    saveHotRow: (title, pages) => contention.saveHotRow(redis, title, pages),
    incrementPages: (title, by) => contention.incrementPages(redis, title, by),
    createShelf: (name) => contention.createShelf(redis, name),
    shelve: (shelf, title) => contention.shelve(redis, shelf, title),
    deleteBook: (title) => writes.deleteBook(redis, title),
    loadAll: () => reads.loadAll(redis),
    iterateAll: (onBatch) => reads.iterateAll(redis, onBatch),
  };
}
