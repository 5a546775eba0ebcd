/**
 * The key names of popoto's storage layout (docs/storage.md), spelled by hand for the baseline:
 * Popoto's key-part escaping, instance keys and index sets (the bench's models keep no lex indexes).
 */

const COLON_ESCAPE = "{&#58;}";
const GLOB = /[/'?*^[\]-]/g;

/** docs/storage.md §1: `/` and glob characters get a `/`, a literal `{&#58;}` one too, `:` becomes `{&#58;}`. */
export const escapePart = (value: string): string =>
  value.replace(GLOB, "/$&").replaceAll(COLON_ESCAPE, `/${COLON_ESCAPE}`).replaceAll(":", COLON_ESCAPE);

export const authorKey = (name: string): string => `Author:${escapePart(name)}`;
export const bookKey = (title: string): string => `Book:${escapePart(title)}`;

export const AUTHOR_CLASS = "$Class:Author";
export const BOOK_CLASS = "$Class:Book";
export const authorNameSet = (name: string): string => `$KeyF:Author:name:${escapePart(name)}`;
export const bookTitleSet = (title: string): string => `$KeyF:Book:title:${escapePart(title)}`;
export const BOOK_PAGES = "$SortF:Book:pages";
/** The reverse set of books pointing at an author key (`None` for no author). */
export const booksOf = (authorKey: string | null): string =>
  `$RelationshipF:Book:author:${authorKey ?? "None"}`;

export const shelfKey = (name: string): string => `Shelf:${escapePart(name)}`;
export const SHELF_CLASS = "$Class:Shelf";
export const shelfNameSet = (name: string): string => `$KeyF:Shelf:name:${escapePart(name)}`;
/** The reverse set of shelves holding a book key (`None` for shelves holding none). */
export const shelvesOf = (bookKey: string | null): string =>
  `$RelationshipF:Shelf:books:${bookKey ?? "None"}`;
