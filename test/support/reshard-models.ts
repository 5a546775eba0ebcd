/**
 * The sharded model reshard.test.ts moves, shared with the writer processes of
 * test/support/reshard-writer-worker.ts (one definition, so both write the same model).
 */
import { IndexedField, KeyField, Model, Relationship, SortedField, UniqueField } from "../../src/index.js";

export class RsParent extends Model("RsParent", { id: KeyField() }) {}
export class RsItem extends Model(
  "RsItem",
  {
    id: KeyField(),
    score: SortedField({ type: "int" }),
    kind: IndexedField(),
    email: UniqueField({ null: true }),
    parent: Relationship(RsParent, { null: true }),
  },
  { shards: 4 },
) {}
