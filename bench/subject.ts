/**
 * What every implementation under test offers: one method per benchmark operation. popoto's
 * implementation calls its public API; the baseline issues hand-written ioredis commands on the
 * same storage layout.
 */
import type { AuthorData, BookData } from "./data.js";
import type { Traffic } from "./measure/traffic.js";

export type SubjectName = "popoto" | "baseline";

/** A book as a query answers it. popoto's Book instances have this shape, as do the baseline's records. */
export interface BookLike {
  readonly title: string;
  /** popoto: an Author instance or a Reference; baseline: the author's key, or its record once included. */
  readonly author: unknown;
  readonly pages: number;
  readonly genre: string;
}

export interface Subject {
  readonly name: SubjectName;
  /** Counts this implementation's round trips and commands (its own Redis client). */
  readonly traffic: Traffic;
  /** Forgets instances kept from an earlier pass (popoto keeps the created authors to filter by them). */
  reset(): void;
  /**
   * Called (untimed) once the authors exist: popoto loads the Author instances it did not create
   * itself (another subject created them), since its filters and relationships take instances.
   */
  loadAuthors(authors: readonly AuthorData[]): Promise<void>;
  createAuthor(author: AuthorData): Promise<unknown>;
  createBook(book: BookData): Promise<unknown>;
  getBook(title: string): Promise<BookLike | null>;
  booksByAuthor(author: number): Promise<readonly BookLike[]>;
  booksByAuthorName(name: string): Promise<readonly BookLike[]>;
  booksByPages(min: number, max: number): Promise<readonly BookLike[]>;
  /** Points the book at another author (the book is read first: only its key is known). */
  reassign(title: string, author: number): Promise<unknown>;
  /** The first `limit` books from `minPages` up, ordered by pages, with their authors loaded. */
  booksWithAuthors(minPages: number, limit: number): Promise<readonly BookLike[]>;
  countBooks(author: number, minPages: number): Promise<number>;
  /** Books of an author (one reverse set). */
  countByAuthor(author: number): Promise<number>;
  /** Loads the book, sets its pages, saves it whole (popoto: `save()`). */
  saveHotRow(title: string, pages: number): Promise<unknown>;
  /** Adds `by` to the book's pages in Redis (popoto: `atomicIncrement`). */
  incrementPages(title: string, by: number): Promise<unknown>;
  /** Creates an empty shelf (untimed). */
  createShelf(name: string): Promise<unknown>;
  /** Adds the book to the shelf's many-relationship (popoto: `addRelated`). */
  shelve(shelf: string, title: string): Promise<unknown>;
  /** Deletes a book known by its key only, with every index entry. */
  deleteBook(title: string): Promise<unknown>;
  /** Loads every book and keeps them all (for the heap measurement). */
  loadAll(): Promise<readonly unknown[]>;
  /** Streams every book in batches without keeping them; `onBatch` is called after each batch. */
  iterateAll(onBatch: () => void): Promise<number>;
}
