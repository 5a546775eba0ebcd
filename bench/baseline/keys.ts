/**
 * The key names of popoto's storage layout (docs/storage.md), spelled by hand for the baseline:
 * Popoto's key-part escaping, instance keys, index sets and the lex-index members popoto adds.
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
export const AUTHOR_NAME_LEX = "$LexF:Author:name";
export const AUTHOR_NAME_LEX_REV = "$LexRevF:Author:name";
export const BOOK_TITLE_LEX = "$LexF:Book:title";
export const BOOK_TITLE_LEX_REV = "$LexRevF:Book:title";
export const BOOK_PAGES = "$SortF:Book:pages";
/** The reverse set of books pointing at an author key (`None` for no author). */
export const booksOf = (authorKey: string | null): string =>
  `$RelationshipF:Book:author:${authorKey ?? "None"}`;

/** `<value>\0\0<key>`, a NUL in the value written as `\0\x01`. */
export const lexMember = (value: string, key: string): string =>
  `${value.replaceAll("\0", "\0\x01")}\0\0${key}`;

/** The `$LexRevF` member: the value reversed by code points. */
export const lexReverseMember = (value: string, key: string): string =>
  lexMember(Array.from(value).reverse().join(""), key);

export const shelfKey = (name: string): string => `Shelf:${escapePart(name)}`;
export const SHELF_CLASS = "$Class:Shelf";
export const shelfNameSet = (name: string): string => `$KeyF:Shelf:name:${escapePart(name)}`;
export const SHELF_NAME_LEX = "$LexF:Shelf:name";
export const SHELF_NAME_LEX_REV = "$LexRevF:Shelf:name";
/** The reverse set of shelves holding a book key (`None` for shelves holding none). */
export const shelvesOf = (bookKey: string | null): string =>
  `$RelationshipF:Shelf:books:${bookKey ?? "None"}`;
