/** What the baseline's reads return: plain records decoded from the stored msgpack hashes. */
import { unpackNumber, unpackString } from "./codec.js";

export interface AuthorRecord {
  readonly key: string;
  readonly name: string;
  readonly country: string;
}

export interface BookRecord {
  readonly key: string;
  readonly title: string;
  /** The author's key, or its record once loaded by `booksWithAuthors`. */
  author: string | AuthorRecord | null;
  readonly pages: number;
  readonly genre: string;
}

/** An HGETALL reply with Buffer values (ioredis gives an object; empty when the key is missing). */
export type StoredHash = Record<string, Buffer>;

export const decodeBook = (key: string, hash: StoredHash): BookRecord | null => {
  const title = unpackString(hash["title"]);
  if (title === null) return null;
  return {
    key,
    title,
    author: unpackString(hash["author"]),
    pages: unpackNumber(hash["pages"]),
    genre: unpackString(hash["genre"]) ?? "",
  };
};

export const decodeAuthor = (key: string, hash: StoredHash): AuthorRecord | null => {
  const name = unpackString(hash["name"]);
  if (name === null) return null;
  return { key, name, country: unpackString(hash["country"]) ?? "" };
};
