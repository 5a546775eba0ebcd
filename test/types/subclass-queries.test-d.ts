/**
 * Issue 14: query results typed as the user's subclass without any `declare module`, the
 * Filter/InferCreate/InferValues helpers, and calls that must not compile (a relationship to
 * another model in related(), getOrCreate on a plain field, an unregistered Reference name).
 * Nothing here is registered in `interface Models` except what registry.test-d.ts registers for
 * the whole program.
 */
import { describe, expectTypeOf, test } from "vitest";
import {
  Field,
  IndexedField,
  KeyField,
  Model,
  Reference,
  Relationship,
  SortedField,
  type Filter,
  type InferCreate,
  type InferValues,
  type Query,
} from "../../src/index.js";

class Writer extends Model("SqWriter", { name: KeyField(), country: Field({ null: true }) }) {
  get shout(): string {
    return this.name.toUpperCase();
  }
}

class Novel extends Model("SqNovel", {
  title: KeyField(),
  author: Relationship(Writer),
  editor: Relationship(Writer),
  pages: SortedField({ type: "int" }),
  genre: IndexedField({ null: true }),
  blurb: Field({ null: true }),
}) {
  get label(): string {
    return `${this.title} (${this.pages} pages)`;
  }
}

class Member extends Model("SqMember", { name: KeyField() }) {}
class Loan extends Model("SqLoan", {
  id: KeyField(),
  membership: Relationship(Member),
  novel: Relationship(Novel),
}) {}

declare const tolkien: Writer;
declare const hobbit: Novel;

describe("query() is typed as the class it is called on", () => {
  test("get, filter, first, all, objects() and iterate give the subclass, getters included", async () => {
    const b: Novel | null = await Novel.query().get({ title: "The Hobbit" });
    expectTypeOf(b?.label).toEqualTypeOf<string | undefined>();
    const list: Novel[] = await Novel.query().filter({ pages__gte: 300 }).orderBy("-pages").limit(3);
    expectTypeOf(list).toEqualTypeOf<Novel[]>();
    expectTypeOf(Novel.query().first()).toEqualTypeOf<Promise<Novel | null>>();
    expectTypeOf(Novel.objects().all()).toEqualTypeOf<Promise<Novel[]>>();
    for await (const n of Novel.query().iterate()) expectTypeOf(n).toEqualTypeOf<Novel>();
    // the property form stays (Popoto's spelling), typed by the model's fields
    void Novel.query.filter({ pages__gte: 300 });
    // @ts-expect-error the property form does not know the subclass's getter
    void (await Novel.query.get({ title: "x" }))?.label;
  });

  test("a query can be caught and finalized like a promise", async () => {
    const fallback = await Novel.query()
      .filter({ pages__gte: 1 })
      .catch(() => "failed" as const);
    expectTypeOf(fallback).toEqualTypeOf<Novel[] | "failed">();
    expectTypeOf(Novel.query().finally(() => undefined)).toEqualTypeOf<Promise<Novel[]>>();
    expectTypeOf(Novel.query.values("title").catch(() => [])).toEqualTypeOf<
      Promise<{ title: string }[] | never[]>
    >();
  });

  test("the accessor cannot be called detached from its class", () => {
    const detached = Novel.query;
    // @ts-expect-error `this` would be undefined: call it as Novel.query()
    void detached();
  });
});

describe("exported helpers", () => {
  test("Filter, InferCreate and InferValues of a class", () => {
    const where: Filter<typeof Novel> = { pages__gte: 300, genre: "sf", author__in: ["SqWriter:x"] };
    void Novel.query().filter(where);
    // @ts-expect-error pages takes numbers
    const wrong: Filter<typeof Novel> = { pages__gte: "300" };
    void wrong;
    const input: InferCreate<typeof Novel> = { title: "Dune", author: tolkien, editor: null, pages: 412 };
    void Novel.create(input);
    // @ts-expect-error pages is required
    const missing: InferCreate<typeof Novel> = { title: "Dune", author: tolkien, editor: null };
    void missing;
    expectTypeOf<InferValues<typeof Novel>["pages"]>().toEqualTypeOf<number>();
    expectTypeOf<InferValues<typeof Novel>["genre"]>().toEqualTypeOf<string | null>();
  });
});

describe("calls that are looser than they should be do not compile", () => {
  test("related() takes only relationships that point at this instance's model", () => {
    expectTypeOf(tolkien.related(Novel, "author")).toEqualTypeOf<
      Query<NonNullable<(typeof Novel)["~fields"]>, Novel>
    >();
    void tolkien.related(Novel, "editor");
    // @ts-expect-error SqLoan.membership points at SqMember, not SqWriter
    void tolkien.related(Loan, "membership");
    void hobbit.related(Loan, "novel");
    // @ts-expect-error SqLoan.membership points at SqMember, not SqNovel
    void hobbit.related(Loan, "membership");
  });

  test("getOrCreate and updateOrCreate look up by indexed fields only", () => {
    void Novel.getOrCreate({ title: "Dune" }, { pages: 412, author: tolkien });
    void Novel.getOrCreate({ genre: "sf" });
    // @ts-expect-error blurb is a plain Field: not indexed, so no instance can be found by it
    void Novel.getOrCreate({ blurb: "x" });
    // @ts-expect-error blurb is a plain Field
    void Novel.updateOrCreate({ blurb: "x" }, { pages: 1 });
  });

  test("a Reference takes a model class, or a registered model name", () => {
    void new Reference(Writer, "SqWriter:Tolkien");
    void new Reference("RegisteredBook", "RegisteredBook:Dune");
    // @ts-expect-error no model named NoSuchModel is registered in interface Models
    void new Reference("NoSuchModel", "NoSuchModel:1");
  });
});
