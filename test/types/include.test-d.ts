/**
 * include() narrows what it loads: an included relationship holds the target's instance (its
 * class, getters included) or null, never a Reference; a many relationship holds instances;
 * nested paths narrow every hop. Paths are checked through the target models' fields. Model
 * names are unique to this file (the Models registration applies to the whole program).
 */
import { describe, expectTypeOf, test } from "vitest";
import type { Reference } from "../../src/index.js";
import { Field, KeyField, Model, Relationship, SortedField } from "../../src/index.js";

class Publisher extends Model("TIncPublisher", { name: KeyField() }) {
  get initials(): string {
    return this.name.slice(0, 2);
  }
}
class Author extends Model("TIncAuthor", {
  name: KeyField(),
  publisher: Relationship(Publisher),
  country: Field({ null: true }),
}) {
  get shout(): string {
    return this.name.toUpperCase();
  }
}
class Tag extends Model("TIncTag", { name: KeyField() }) {}
class Book extends Model("TIncBook", {
  title: KeyField(),
  author: Relationship(Author),
  editor: Relationship(Author, { null: false }),
  tags: Relationship(Tag, { many: true }),
  pages: SortedField({ type: "int" }),
}) {
  get label(): string {
    return `${this.title} (${this.pages})`;
  }
}
class Review extends Model("TIncReview", { id: KeyField(), book: Relationship(() => Book) }) {}
/** Self reference by registered name, and a target named by a name nobody registered. */
class Member extends Model("TIncMember", {
  name: KeyField(),
  invitedBy: Relationship("TIncMember"),
  loose: Relationship("TIncUnregistered"),
}) {}

declare module "../../src/index.js" {
  interface Models {
    TIncMember: typeof Member;
  }
}

describe("without include, a relationship may be a Reference", () => {
  test("its target's fields need a load() first", async () => {
    const book = await Book.query().first();
    expectTypeOf(book?.author).toEqualTypeOf<Author | Reference<Author> | null | undefined>();
    // @ts-expect-error a Reference has no name: load it, or include("author")
    void book?.author?.name;
  });
});

describe("include() narrows to loaded instances", () => {
  test("a single relationship: the target's class or null (its target may be gone)", async () => {
    const [book] = await Book.query().include("author");
    expectTypeOf(book!.author).toEqualTypeOf<Author | null>();
    expectTypeOf(book!.author?.shout).toEqualTypeOf<string | undefined>();
    expectTypeOf(book!.label).toEqualTypeOf<string>();
    // @ts-expect-error after include the value is never a Reference
    const ref: Reference<Author> = book!.author!;
    void ref;
    // Relationships not included keep their type.
    expectTypeOf(book!.editor).toEqualTypeOf<Author | Reference<Author>>();
  });

  test("null: false still allows null after include: a deleted or expired target loads as none", async () => {
    const book = await Book.query().include("editor").first();
    expectTypeOf(book!.editor).toEqualTypeOf<Author | null>();
    // @ts-expect-error possibly null
    void book!.editor.name;
  });

  test("a many relationship: an array of instances", async () => {
    const book = await Book.query().include("tags").get({ title: "Dune" });
    expectTypeOf(book!.tags).toEqualTypeOf<Tag[]>();
    expectTypeOf(book!.tags[0]?.name).toEqualTypeOf<string | undefined>();
  });

  test("nested paths narrow every hop; several paths combine", async () => {
    const [review] = await Review.query().include("book.author.publisher", "book.tags");
    const author = review!.book?.author;
    expectTypeOf(author?.shout).toEqualTypeOf<string | undefined>();
    expectTypeOf(author?.publisher).toEqualTypeOf<Publisher | null | undefined>();
    expectTypeOf(author?.publisher?.initials).toEqualTypeOf<string | undefined>();
    expectTypeOf(review!.book?.tags).toEqualTypeOf<Tag[] | undefined>();
    // Not included at that hop: still instance or Reference.
    expectTypeOf(review!.book?.editor).toEqualTypeOf<Author | Reference<Author> | undefined>();
  });

  test("chained include() calls, filters after include, Popoto's spelling, related()", async () => {
    const books = await Book.query().include("author").include("tags").filter({ pages__gt: 1 });
    expectTypeOf(books[0]!.author).toEqualTypeOf<Author | null>();
    expectTypeOf(books[0]!.tags).toEqualTypeOf<Tag[]>();
    const [plain] = await Book.query.include("author.publisher");
    expectTypeOf(plain!.author?.publisher).toEqualTypeOf<Publisher | null | undefined>();
    const [fromAuthor] = await new Author().related(Book, "author").include("tags");
    expectTypeOf(fromAuthor!.tags).toEqualTypeOf<Tag[]>();
  });

  test("included results still are the class", async () => {
    const books: Book[] = await Book.query().include("author", "tags");
    void books;
  });

  test("self references by registered name narrow at each hop", async () => {
    const member = await Member.query().include("invitedBy.invitedBy").first();
    expectTypeOf(member!.invitedBy?.invitedBy).toEqualTypeOf<Member | null | undefined>();
    expectTypeOf(member!.invitedBy?.invitedBy?.invitedBy).toEqualTypeOf<
      Member | Reference<Member> | null | undefined
    >();
  });
});

describe("include() paths are checked hop by hop", () => {
  test("a field that is not a relationship, or no field, is a compile error", () => {
    // @ts-expect-error pages is not a relationship
    void Book.query().include("pages");
    // @ts-expect-error TIncAuthor has no relationship nope
    void Book.query().include("author.nope");
    // @ts-expect-error name is not a relationship of TIncAuthor
    void Review.query().include("book.author.name");
    // @ts-expect-error TIncPublisher has no relationships
    void Book.query().include("author.publisher.x");
  });

  test("after a target the compiler cannot know (an unregistered name), any path", () => {
    void Member.query().include("loose", "loose.anything");
  });
});
