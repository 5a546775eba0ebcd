/** The `shards` and `shardBy` model options: a number, and one of the model's own field names. */
import { describe, expectTypeOf, test } from "vitest";
import { KeyField, Model, Relationship, SortedField, type ModelOptions } from "../../src/index.js";

class Site extends Model("TypesShardSite", { name: KeyField() }) {}

describe("sharded model options", () => {
  test("shards takes a number and shardBy a field of the model", () => {
    class Hit extends Model(
      "TypesShardHit",
      { id: KeyField(), site: Relationship(Site), at: SortedField({ type: "int" }) },
      { shards: 24, shardBy: "site" },
    ) {}
    expectTypeOf(Hit.query.filter({ site: "TypesShardSite:a" }).count()).resolves.toEqualTypeOf<number>();
    expectTypeOf<ModelOptions<"id">["shards"]>().toEqualTypeOf<number | undefined>();
  });

  test("shardBy naming no field, or shards of another type, does not compile", () => {
    // @ts-expect-error: "nope" is not a field of the model
    Model("TypesShardBad1", { id: KeyField(), site: Relationship(Site) }, { shards: 24, shardBy: "nope" });
    // @ts-expect-error: shards is a number of buckets
    Model("TypesShardBad2", { id: KeyField() }, { shards: "24" });
  });
});
