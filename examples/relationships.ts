/**
 * Relationships: declaring them (class, function, name), filtering by instance, key and null,
 * traversal through several hops, include(), related(), filterParams(), `many` with
 * addRelated/removeRelated, and onDelete.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/relationships.ts
 *
 * It deletes every instance of its models (RelPublisher, RelAuthor, RelBook, RelTag, RelPerson,
 * RelReview) at the end.
 */
import {
  connect,
  disconnect,
  Field,
  KeyField,
  Model,
  ProtectedError,
  Reference,
  Relationship,
  SortedField,
} from "../src/index.js";

class RelPublisher extends Model("RelPublisher", { name: KeyField() }) {}

class RelAuthor extends Model("RelAuthor", {
  name: KeyField(),
  // The target as a function returning the class; onDelete "protect" refuses to delete a
  // publisher while authors point at it.
  publisher: Relationship(() => RelPublisher, { onDelete: "protect" }),
}) {}

class RelTag extends Model("RelTag", { name: KeyField() }) {}

class RelBook extends Model("RelBook", {
  title: KeyField(),
  // The target as a class; deleting the author deletes the book too.
  author: Relationship(RelAuthor, { null: false, onDelete: "cascade" }),
  pages: SortedField({ type: "int" }),
  tags: Relationship(RelTag, { many: true }),
}) {
  get label(): string {
    return `${this.title} (${this.pages} pages)`;
  }
}

// The target by name: the way to refer to the model itself (or to one declared later).
class RelPerson extends Model("RelPerson", {
  name: KeyField(),
  invitedBy: Relationship("RelPerson", { onDelete: "setNull" }),
}) {}

// onDelete "nothing" (the default, as in Popoto): the review keeps the key, which loads as null.
class RelReview extends Model("RelReview", { book: Relationship(RelBook), text: Field() }) {}

// Registering the classes lets the compiler follow "RelPerson" and deep paths such as
// author__publisher__name, and types query results as these subclasses (with `label`).
declare module "../src/index.js" {
  interface Models {
    RelPublisher: typeof RelPublisher;
    RelAuthor: typeof RelAuthor;
    RelTag: typeof RelTag;
    RelBook: typeof RelBook;
    RelPerson: typeof RelPerson;
    RelReview: typeof RelReview;
  }
}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);

async function main(): Promise<void> {
  const allen = await RelPublisher.create({ name: "Allen & Unwin" });
  const harper = await RelPublisher.create({ name: "Harper & Row" });
  const tolkien = await RelAuthor.create({ name: "Tolkien", publisher: allen });
  const leGuin = await RelAuthor.create({ name: "Le Guin", publisher: harper });
  const [fantasy, classic] = await Promise.all([
    RelTag.create({ name: "fantasy" }),
    RelTag.create({ name: "classic" }),
  ]);

  const hobbit = await RelBook.create({ title: "The Hobbit", author: tolkien, pages: 310, tags: [fantasy] });
  // A relationship also takes an instance key.
  await RelBook.create({ title: "The Silmarillion", author: "RelAuthor:Tolkien", pages: 365 });
  await RelBook.create({ title: "The Dispossessed", author: leGuin, pages: 387 });
  await RelBook.create({ title: "A Wizard of Earthsea", author: leGuin, pages: 183, tags: [fantasy] });

  // Filter by instance, by key, through the relationship, and through two hops.
  const titles = (books: readonly RelBook[]): string[] => books.map((b) => b.title);
  show("by instance", titles(await RelBook.query().filter({ author: tolkien }).orderBy("pages")));
  show("by key", titles(await RelBook.query().filter({ author: "RelAuthor:Le Guin" }).orderBy("pages")));
  show(
    "author__name__startswith: 'Le'",
    titles(await RelBook.query().filter({ author__name__startswith: "Le" })),
  );
  show(
    "author__publisher__name: 'Allen & Unwin', pages__gt: 320",
    titles(await RelBook.query().filter({ author__publisher__name: "Allen & Unwin", pages__gt: 320 })),
  );
  show("tags: fantasy (many)", titles(await RelBook.query().filter({ tags: fantasy }).orderBy("title")));

  // Loading never follows relationships: a loaded book holds a Reference (key only).
  const loaded = await RelBook.load({ title: "The Hobbit" });
  show("loaded.author", loaded?.author instanceof Reference ? `Reference ${loaded.author.redisKey}` : "?");
  const author = await loaded?.author.load(); // one HGETALL; works on instances and References alike
  show("await loaded.author.load()", author?.name);

  // include() loads the related instances of the whole result, one round trip per level.
  const withAuthors = await RelBook.query()
    .filter({ pages__gte: 300 })
    .orderBy("-pages")
    .include("author", "author.publisher");
  show(
    "include('author', 'author.publisher')",
    // Typed as loaded: author is RelAuthor | null (null when its target is gone), and so on.
    withAuthors.map((b) => `${b.label} by ${b.author?.name ?? "?"}, ${b.author?.publisher?.name ?? "?"}`),
  );

  // The reverse side, as a query that is never loaded in full.
  show("tolkien.related(RelBook, 'author').count()", await tolkien.related(RelBook, "author").count());
  show(
    "leGuin.related(RelBook, 'author').orderBy('-pages').first()",
    (await leGuin.related(RelBook, "author").orderBy("-pages").first())?.label,
  );

  // many: add and remove targets atomically (merged with what Redis holds).
  await hobbit.addRelated("tags", classic);
  show(
    "hobbit.tags after addRelated",
    hobbit.tags.map((t) => t.redisKey),
  );
  await hobbit.removeRelated("tags", fantasy);
  show(
    "hobbit.tags after removeRelated",
    hobbit.tags.map((t) => t.redisKey),
  );
  show("tags: classic", titles(await RelBook.query().filter({ tags: classic })));

  // Self reference by name; null and __isnull filters.
  const ann = await RelPerson.create({ name: "Ann" });
  await RelPerson.create({ name: "Bob", invitedBy: ann });
  const cid = await RelPerson.create({ name: "Cid", invitedBy: null });
  show(
    "invitedBy: null",
    (await RelPerson.query().filter({ invitedBy: null }).orderBy("name")).map((p) => p.name),
  );
  show(
    "invitedBy__name: 'Ann'",
    (await RelPerson.query().filter({ invitedBy__name: "Ann" })).map((p) => p.name),
  );

  // Assigning a key string works at run time (it becomes a Reference); in TypeScript, assign a
  // Reference instead, since the property's type is instance | Reference.
  cid.invitedBy = new Reference("RelPerson", "RelPerson:Bob");
  await cid.save();
  show(
    "invitedBy__isnull: false",
    (await RelPerson.query().filter({ invitedBy__isnull: false }).orderBy("name")).map((p) => p.name),
  );

  // onDelete: setNull clears the field of everyone Ann invited.
  await ann.delete();
  show("after deleting Ann, Bob.invitedBy", (await RelPerson.load({ name: "Bob" }))?.invitedBy ?? null);

  // onDelete: protect refuses, writing nothing.
  try {
    await allen.delete();
  } catch (error) {
    if (!(error instanceof ProtectedError)) throw error;
    show("deleting Allen & Unwin", `${error.code}: ${error.message}`);
  }

  // onDelete: nothing keeps the key; loading it gives null once the target is gone.
  const review = await RelReview.create({ book: hobbit, text: "Charming." });
  // onDelete: cascade deletes Tolkien's books with him (and the review keeps its key).
  await tolkien.delete();
  show("books left after deleting Tolkien", titles(await RelBook.query().orderBy("title")));
  const stale = await RelReview.load(review.redisKey);
  show("review.book key", stale?.book?.redisKey);
  show("await review.book.load()", (await stale?.book?.load()) ?? null);

  // Every valid filter key, through relationships (depth 1 by default).
  show("RelAuthor.filterParams()", RelAuthor.filterParams());
}

const models = [RelReview, RelBook, RelPerson, RelTag, RelAuthor, RelPublisher];

await connect();
try {
  await main();
} finally {
  // RelBook first: RelAuthor's "protect" would otherwise refuse to delete publishers with authors.
  for (const model of models) await model.deleteAll();
  await disconnect();
}
