/**
 * The `Models` registry: registering a class makes query results (and relationships by name)
 * the user's subclass, with its getters and methods.
 *
 * Which module to augment. `Models` is declared in src/model/registry.ts and re-exported by
 * src/index.ts with `export type { Models }`; TypeScript merges an augmentation of either module
 * into the same interface, so inside this repository both
 *   declare module "../../src/index.js" { interface Models { … } }
 *   declare module "../../src/model/registry.js" { interface Models { … } }
 * work (from test/types/). An app augments the package name, `declare module "popoto"`, which
 * resolves to dist/index.d.ts and its re-export. Pitfalls, all checked with TypeScript 5.9:
 * - the path must resolve as an import does under NodeNext, `.js` included: `"../../src/index"`
 *   fails with TS2835 (relative paths need an extension), and `"popoto"` inside this repository
 *   fails with TS2664 (module cannot be found): the package's exports point at dist/, which is not
 *   built when types are checked;
 * - augmenting a module that only imports `Models` (src/model/model.ts,
 *   src/query/filter-types.ts) compiles without an error but declares an unrelated interface
 *   there, so the registration silently does nothing;
 * - the registry key must be the model's name (the first argument of `Model()`, the Redis key
 *   prefix), not the class name;
 * - an augmentation applies to the whole program, so the model names registered here are unique
 *   to this file: registering a common name such as "Book" would change the result types of every
 *   test that defines a model of that name.
 */
import { describe, expectTypeOf, test } from "vitest";
import { Field, KeyField, Model, Relationship, SortedField } from "../../src/index.js";
import type { ModelInstance, Reference } from "../../src/index.js";

class RegisteredAuthor extends Model("RegisteredAuthor", { name: KeyField() }) {
  get initials(): string {
    return this.name
      .split(" ")
      .map((word) => word[0])
      .join("");
  }
}

class RegisteredBook extends Model("RegisteredBook", {
  title: KeyField(),
  pages: SortedField({ type: "int" }),
  author: Relationship("RegisteredAuthor"),
}) {
  get label(): string {
    return `${this.title} (${this.pages} pages)`;
  }
}

/** Same shape, never registered: its query results are the base instance type. */
class PlainBook extends Model("RegistryPlainBook", {
  title: KeyField(),
  pages: SortedField({ type: "int" }),
  genre: Field({ null: true }),
}) {
  get label(): string {
    return this.title;
  }
}

declare module "../../src/index.js" {
  interface Models {
    RegisteredAuthor: typeof RegisteredAuthor;
    RegisteredBook: typeof RegisteredBook;
  }
}

type FieldsOf<TModel extends { readonly "~fields"?: unknown }> = NonNullable<TModel["~fields"]>;

describe("Models registry", () => {
  test("query() resolves to the class it is called on, custom getter included, registered or not", async () => {
    const book = await RegisteredBook.query().get({ title: "The Hobbit" });
    expectTypeOf(book).toEqualTypeOf<RegisteredBook | null>();
    expectTypeOf(book?.label).toEqualTypeOf<string | undefined>();
    expectTypeOf(RegisteredBook.query().filter({ pages__gte: 300 })).resolves.toEqualTypeOf<
      RegisteredBook[]
    >();
    expectTypeOf(RegisteredBook.query().first()).toEqualTypeOf<Promise<RegisteredBook | null>>();
    expectTypeOf(RegisteredBook.objects().all()).toEqualTypeOf<Promise<RegisteredBook[]>>();
    const plain: PlainBook | null = await PlainBook.query().get({ title: "x" });
    expectTypeOf(plain?.label).toEqualTypeOf<string | undefined>();
  });

  test("registration does not change what Book.query.filter() resolves to (the model's fields)", async () => {
    const book = await RegisteredBook.query.get({ title: "The Hobbit" });
    expectTypeOf(book).toEqualTypeOf<ModelInstance<
      FieldsOf<typeof RegisteredBook>,
      "RegisteredBook"
    > | null>();
  });

  test("a relationship named by a registered model is typed as that model", () => {
    const book = new RegisteredBook();
    expectTypeOf(book.author).toEqualTypeOf<RegisteredAuthor | Reference<RegisteredAuthor> | null>();
    RegisteredBook.query.filter({ author__name: "Tolkien" });
    // @ts-expect-error RegisteredAuthor has no field nmae
    RegisteredBook.query.filter({ author__nmae: "Tolkien" });
  });

  test("Book.query.get() (the property form) resolves to the base instance type", async () => {
    const book = await PlainBook.query.get({ title: "The Hobbit" });
    expectTypeOf(book).toEqualTypeOf<ModelInstance<FieldsOf<typeof PlainBook>, "RegistryPlainBook"> | null>();
    expectTypeOf(book).not.toEqualTypeOf<PlainBook | null>();
    // @ts-expect-error the getter is on the subclass, which the query does not know
    void book?.label;
    expectTypeOf(book?.genre).toEqualTypeOf<string | null | undefined>();
  });

  test("create() and load() resolve to the subclass either way", async () => {
    expectTypeOf(await PlainBook.create({ title: "x", pages: 1 })).toEqualTypeOf<PlainBook>();
    expectTypeOf(await PlainBook.load({ title: "x" })).toEqualTypeOf<PlainBook | null>();
    expectTypeOf(await RegisteredBook.load({ title: "x" })).toEqualTypeOf<RegisteredBook | null>();
  });
});
