/**
 * The models of the change-feed tests (test/integration/change-feed*.test.ts), shared so both
 * files declare them once.
 */
import { KeyField, Model, Relationship, SortedField, UniqueField, Field } from "../../src/index.js";

export class Shelf extends Model("FeedShelf", { name: KeyField() }) {}
export class Book extends Model(
  "FeedBook",
  {
    title: KeyField(),
    pages: SortedField({ type: "int" }),
    isbn: UniqueField({ null: true }),
    note: Field({ null: true }),
    shelves: Relationship(Shelf, { many: true }),
  },
  { changes: true },
) {}
export class Short extends Model(
  "FeedShort",
  { n: KeyField({ type: "int" }) },
  { changes: { maxLen: 10 } },
) {}
export class Plain extends Model("FeedPlain", { name: KeyField() }) {}
export class Owner extends Model("FeedOwner", { name: KeyField() }, { changes: true }) {}
export class Pet extends Model(
  "FeedPet",
  {
    name: KeyField(),
    owner: Relationship(Owner, { onDelete: "cascade" }),
    vet: Relationship(Owner, { null: true, onDelete: "setNull" }),
  },
  { changes: true },
) {}

export const STREAM = "stream:FeedBook";
