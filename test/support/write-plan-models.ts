/**
 * The model and stored row the write planner's cases share: test/unit/write-plans.test.ts asserts
 * the planned calls as data, test/integration/write-plans.test.ts sends the same calls to Redis.
 */
import { Field, IntField, KeyField, Model, Relationship, SortedField } from "../../src/index.js";
import { encodeValue } from "../../src/model/hash.js";

export class PTag extends Model("PTag", { name: KeyField() }) {}
export class PBook extends Model("PBook", {
  title: KeyField(),
  genre: Field(),
  pages: SortedField({ type: "int" }),
  price: SortedField({ type: "int", partitionBy: "genre" }),
  sold: IntField({ default: 0 }),
  note: Field({ null: true }),
  tags: Relationship(PTag, { many: true }),
}) {}

export const meta = PBook.meta;
export const bytes = (field: string, value: unknown): Buffer => encodeValue(meta.fields.get(field)!, value);
export const row: Record<string, unknown> = {
  title: "Dune",
  genre: "sf",
  pages: 412,
  price: 10,
  sold: 0,
  note: null,
  tags: [],
};
/** A whole stored hash: field → bytes. */
export const storedOf = (values: Record<string, unknown>): Map<string, Buffer> =>
  new Map(Object.entries(values).map(([f, v]) => [f, bytes(f, v)]));
/** The stored-state snapshot a write is planned from: the indexed fields' bytes. */
export const snapshotOf = (values: Record<string, unknown>) =>
  new Map(meta.indexedFields.map((f) => [f, bytes(f, values[f])] as [string, Buffer | undefined]));
