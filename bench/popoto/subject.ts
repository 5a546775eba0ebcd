/** popoto as a benchmark subject: every operation through the public API. */
import type { Redis } from "ioredis";
import type { AuthorData, BookData } from "../data.js";
import { Traffic } from "../measure/traffic.js";
import type { Subject } from "../subject.js";
import { Author, Book, Shelf } from "./models.js";

export function popotoSubject(redis: Redis): Subject {
  /** The created authors, by index: filters and relationships take instances. */
  let authors: Author[] = [];
  /** Instances the contention workloads write, loaded once (outside the first operations' work). */
  let loaded = new Map<string, Promise<Book | Shelf | null>>();
  const once = <T extends Book | Shelf>(key: string, load: () => Promise<T | null>): Promise<T> => {
    let found = loaded.get(key);
    if (!found) loaded.set(key, (found = load()));
    return found.then((instance) => {
      if (!instance) throw new Error(`${key} is missing`);
      return instance as T;
    });
  };
  const author = (index: number): Author => {
    const found = authors[index];
    if (!found) throw new Error(`author ${index} was not created in this pass`);
    return found;
  };
  return {
    name: "popoto",
    traffic: new Traffic(redis),
    reset: () => {
      authors = [];
      loaded = new Map();
    },
    loadAuthors: async (all) => {
      for (const data of all) {
        if (authors[data.index]) continue;
        const loaded = await Author.load({ name: data.name });
        if (!loaded) throw new Error(`${data.name} is missing`);
        authors[data.index] = loaded;
      }
    },
    createAuthor: async (data: AuthorData) => {
      authors[data.index] = await Author.create({ name: data.name, country: data.country });
    },
    createBook: (data: BookData) =>
      Book.create({ title: data.title, author: author(data.author), pages: data.pages, genre: data.genre }),
    getBook: (title) => Book.query.get({ title }),
    booksByAuthor: (index) => Book.query.filter({ author: author(index) }).all(),
    booksByAuthorName: (name) => Book.query.filter({ author__name: name }).all(),
    booksByPages: (min, max) => Book.query.filter({ pages__gte: min, pages__lte: max }).all(),
    reassign: async (title, index) => {
      const book = await Book.query.get({ title });
      if (!book) return false;
      book.author = author(index);
      await book.save({ fields: ["author"] });
      return true;
    },
    booksWithAuthors: (minPages, limit) =>
      Book.query.filter({ pages__gte: minPages }).orderBy("pages").limit(limit).include("author").all(),
    countBooks: (index, minPages) => Book.query.count({ author: author(index), pages__gte: minPages }),
    countByAuthor: (index) => Book.query.count({ author: author(index) }),
    saveHotRow: async (title, pages) => {
      const book = await Book.query.get({ title });
      if (!book) return false;
      book.pages = pages;
      await book.save();
      return true;
    },
    incrementPages: async (title, by) =>
      (await once(`Book ${title}`, () => Book.query.get({ title }))).atomicIncrement("pages", by),
    createShelf: (name) => Shelf.create({ name }),
    shelve: async (shelf, title) =>
      (await once(`Shelf ${shelf}`, () => Shelf.query.get({ name: shelf }))).addRelated(
        "books",
        new Book({ title }).redisKey,
      ),
    deleteBook: (title) => Book.bulkDelete([new Book({ title }).redisKey]),
    loadAll: () => Book.query.all(),
    iterateAll: async (onBatch) => {
      let seen = 0;
      for await (const _book of Book.query.iterate({ batchSize: 500 })) if (++seen % 500 === 0) onBatch();
      onBatch();
      return seen;
    },
  };
}
