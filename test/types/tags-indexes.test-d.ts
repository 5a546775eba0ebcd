/**
 * TagField and composite-index types: a tag field's filter keys are exactly `__contains`, `__any`
 * and `__all`; its value is a string array, and create() takes an array or a Set of strings.
 */
import { describe, expectTypeOf, test } from "vitest";
import { IndexedField, IntField, KeyField, Model, SortedField, TagField } from "../../src/index.js";
import type { ShallowFilter } from "../../src/index.js";

class Post extends Model("TypesPost", { slug: KeyField(), tags: TagField(), views: IntField() }) {}

type FieldsOf<TModel extends { readonly "~fields"?: unknown }> = NonNullable<TModel["~fields"]>;

describe("TagField", () => {
  test("its filter keys are contains (one tag), any and all (arrays of tags)", () => {
    expectTypeOf<ShallowFilter<FieldsOf<typeof Post>>>().toEqualTypeOf<{
      slug?: string | undefined;
      slug__in?: readonly string[] | undefined;
      slug__isnull?: boolean | undefined;
      slug__startswith?: string | undefined;
      slug__endswith?: string | undefined;
      slug__contains?: string | undefined;
      tags__contains?: string | undefined;
      tags__any?: readonly string[] | undefined;
      tags__all?: readonly string[] | undefined;
    }>();
    Post.query.filter({ tags__contains: "sf" });
    Post.query.filter({ tags__any: ["sf", "new"], tags__all: ["sf"] });
  });

  test("equality, __in and wrong values do not compile", () => {
    // @ts-expect-error a tag field has no equality lookup (use __contains, __any or __all)
    Post.query.filter({ tags: ["sf"] });
    // @ts-expect-error no __in lookup either
    Post.query.filter({ tags__in: ["sf"] });
    // @ts-expect-error __contains takes one tag
    Post.query.filter({ tags__contains: ["sf"] });
    // @ts-expect-error __any takes strings
    Post.query.filter({ tags__any: [1] });
    // @ts-expect-error __all takes an array
    Post.query.filter({ tags__all: "sf" });
  });

  test("the value is a string array; create() takes an array or a Set, and may leave it out", async () => {
    const post = await Post.create({ slug: "a", views: 1 });
    expectTypeOf(post.tags).toEqualTypeOf<string[]>();
    await Post.create({ slug: "b", views: 1, tags: new Set(["x"]) });
    await Post.create({ slug: "c", views: 1, tags: ["x", "y"] });
    // @ts-expect-error tags are strings
    await Post.create({ slug: "d", views: 1, tags: [1] });
    // @ts-expect-error a tag field is never null
    await Post.create({ slug: "e", views: 1, tags: null });
    // @ts-expect-error TagField has no null option
    TagField({ null: true });
  });
});

describe("composite indexes (model option indexes)", () => {
  test("name fields filterable by equality, as a list or { fields, unique }", () => {
    Model(
      "TypesEdition",
      { isbn: IndexedField(), number: SortedField({ type: "int" }), slug: KeyField() },
      { indexes: [["isbn", "number"], { fields: ["slug", "isbn"], unique: true }] },
    );
  });

  test("a plain field, an unknown field or a wrong unique flag does not compile", () => {
    // @ts-expect-error views is a plain field: it cannot be filtered, so it cannot be indexed
    Model("TypesBad1", { slug: KeyField(), views: IntField() }, { indexes: [["slug", "views"]] });
    // @ts-expect-error nope is not a field of the model
    Model("TypesBad2", { slug: KeyField(), isbn: IndexedField() }, { indexes: [["slug", "nope"]] });
    Model(
      "TypesBad3",
      { slug: KeyField(), isbn: IndexedField() },
      // @ts-expect-error unique is a boolean
      { indexes: [{ fields: ["slug", "isbn"], unique: "yes" }] },
    );
  });
});
