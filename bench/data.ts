/**
 * The data set every implementation writes: the same authors and books, from a seeded generator,
 * so runs are repeatable and two implementations can be compared byte for byte.
 */

/** Pages are drawn from 1..MAX_PAGES, so a range of MAX_PAGES / 100 holds about 1% of the books. */
export const MAX_PAGES = 5000;

const COUNTRIES = ["UK", "US", "FR", "DE", "JP", "BR", "IN", "NG"] as const;
const GENRES = ["fantasy", "history", "poetry", "crime", "science", "travel", "drama", "essay"] as const;

export interface AuthorData {
  readonly index: number;
  readonly name: string;
  readonly country: string;
}

export interface BookData {
  readonly index: number;
  readonly title: string;
  /** Index into the authors. */
  readonly author: number;
  readonly pages: number;
  readonly genre: string;
}

export interface DataSet {
  readonly authors: readonly AuthorData[];
  readonly books: readonly BookData[];
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Names and titles contain `-`, which Popoto escapes in key parts (`Book:Book/-17`). */
export const authorName = (index: number): string => `Author-${index}`;
export const bookTitle = (index: number): string => `Book-${index}`;

export function makeData(books: number, authors: number): DataSet {
  const next = random(42);
  return {
    authors: Array.from({ length: authors }, (_, index) => ({
      index,
      name: authorName(index),
      country: COUNTRIES[index % COUNTRIES.length] as string,
    })),
    books: Array.from({ length: books }, (_, index) => ({
      index,
      title: bookTitle(index),
      author: index % authors,
      pages: 1 + Math.floor(next() * MAX_PAGES),
      genre: GENRES[index % GENRES.length] as string,
    })),
  };
}
