/**
 * The models of the index-tools soak (bench/tools/soak.ts), also loaded by the CLI with --models:
 * a book with a key field, an indexed field, a relationship and a sorted field.
 */
import { FloatField, IndexedField, KeyField, Model, Relationship, SortedField } from "../../src/index.js";

export class Author extends Model("Author", { name: KeyField() }) {}

export class Book extends Model("Book", {
  id: KeyField(),
  genre: IndexedField(),
  author: Relationship(Author),
  pages: SortedField({ type: "int" }),
  price: FloatField(),
}) {}
