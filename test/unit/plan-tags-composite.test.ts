/**
 * Planning of tag lookups and composite indexes, as data: the plan tree a filter gives, without Redis.
 */
import { describe, expect, it } from "vitest";
import { IndexedField, KeyField, Model, SortedField, TagField } from "../../src/index.js";
import { parseFilter } from "../../src/query/lookup.js";
import { planLookups } from "../../src/query/plan.js";

class PlanPost extends Model(
  "PlanPost",
  { slug: KeyField(), tags: TagField(), lang: IndexedField(), year: SortedField({ type: "int" }) },
  { indexes: [["lang", "year"]] },
) {}

const plan = (where: Record<string, unknown>): unknown =>
  planLookups(PlanPost.meta, parseFilter(PlanPost.meta, where));

describe("tag lookups", () => {
  it("contains is one set, any a union, all an intersection; an empty list is nothing", () => {
    expect(plan({ tags__contains: "a:b" })).toEqual({ t: "set", key: "$TagF:PlanPost:tags:a{&#58;}b" });
    expect(plan({ tags__any: ["a", "b"] })).toEqual({
      t: "or",
      c: [
        { t: "set", key: "$TagF:PlanPost:tags:a" },
        { t: "set", key: "$TagF:PlanPost:tags:b" },
      ],
    });
    expect(plan({ tags__all: ["a", "b", "a"] })).toEqual({
      t: "and",
      c: [
        { t: "set", key: "$TagF:PlanPost:tags:a" },
        { t: "set", key: "$TagF:PlanPost:tags:b" },
      ],
    });
    expect(plan({ tags__any: [] })).toEqual({ t: "none" });
    expect(plan({ tags__all: [] })).toEqual({ t: "none" });
  });
});

describe("composite indexes", () => {
  it("every field by equality reads the index's set; a range or a missing field does not", () => {
    expect(plan({ lang: "en", year: 1965 })).toEqual({
      t: "set",
      key: "$CompositeF:PlanPost:lang+year:en:1965",
    });
    expect(plan({ lang: null, year: 1965, slug: "x" })).toEqual({
      t: "and",
      c: [
        { t: "set", key: "$CompositeF:PlanPost:lang+year:None:1965" },
        { t: "set", key: "$KeyF:PlanPost:slug:x" },
      ],
    });
    expect(plan({ lang: "en", year__gte: 1965 })).toEqual({
      t: "and",
      c: [
        { t: "zr", key: "$SortF:PlanPost:year", min: "1965", max: "+inf" },
        { t: "set", key: "$IndexF:PlanPost:lang:en" },
      ],
    });
  });
});
