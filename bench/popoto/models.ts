/** The benchmark's models, declared with popoto's public API. */
import { Field, KeyField, Model, Relationship, SortedField } from "../../src/index.js";

export class Author extends Model("Author", {
  name: KeyField(),
  country: Field({ type: "string" }),
}) {}

export class Book extends Model("Book", {
  title: KeyField(),
  author: Relationship(Author),
  pages: SortedField({ type: "int" }),
  genre: Field({ type: "string" }),
}) {}

/** One shelf receives many books at once (the addRelated workload). */
export class Shelf extends Model("Shelf", {
  name: KeyField(),
  books: Relationship(Book, { many: true }),
}) {}
