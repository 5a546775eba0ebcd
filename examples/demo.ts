/**
 * The main example: the models of Popoto's Relationship reference page, run against Redis.
 *
 *   npm install && npm run demo        (REDIS_URL, else redis://127.0.0.1:6379)
 *
 * It prints real query results, then deletes everything it created. It refuses to run on a
 * database that already holds Person, Membership, Author or Book instances, so it never touches
 * data of yours: point REDIS_URL at an empty database (e.g. redis://127.0.0.1:6379/14) then.
 */
import {
  connect,
  disconnect,
  Field,
  KeyField,
  Model,
  QueryError,
  Relationship,
  SortedField,
  UniqueViolationError,
  UniqueKeyField,
} from "../src/index.js";
import { demoRedis } from "./support/local-redis.js";

class Person extends Model("Person", { name: KeyField(), email: UniqueKeyField() }) {}

class Membership extends Model("Membership", {
  person: Relationship(Person, { onDelete: "cascade" }),
  role: Field(),
}) {}

class Author extends Model("Author", { name: KeyField(), country: Field({ null: true }) }) {}

class Book extends Model("Book", {
  title: KeyField(),
  author: Relationship(Author),
  pages: SortedField({ type: "int" }),
  genre: Field({ type: "string", null: true }),
}) {
  get label(): string {
    return `${this.title} (${this.pages} pages)`;
  }
}

// Registering the classes lets the compiler follow relationship names (Relationship("Person"));
// it changes nothing at run time. Book.query() types results as Book without it.
declare module "../src/index.js" {
  interface Models {
    Person: typeof Person;
    Membership: typeof Membership;
    Author: typeof Author;
    Book: typeof Book;
  }
}

const show = (title: string, value: unknown): void => {
  console.log(`\n${title}`);
  console.log(typeof value === "string" ? `  ${value}` : value);
};

/** Everything the demo saved, deleted again at the end. */
const created: { delete(): Promise<boolean> }[] = [];
const track = async <T extends { delete(): Promise<boolean> }>(pending: Promise<T>): Promise<T> => {
  const instance = await pending;
  created.push(instance);
  return instance;
};

async function cleanUp(): Promise<void> {
  for (const instance of created.reverse()) await instance.delete();
}

const local = await demoRedis();

async function main(): Promise<void> {
  const redis = await connect(local.url);
  const counts = await Promise.all([
    Person.query().count(),
    Membership.query().count(),
    Author.query().count(),
    Book.query().count(),
  ]);
  const existing = counts.reduce((a, b) => a + b, 0);
  if (existing > 0) {
    console.error(
      "This database already holds Person, Membership, Author or Book data; the demo leaves it alone.",
    );
    console.error("Run it on an empty database: REDIS_URL=redis://127.0.0.1:6379/14 npm run demo");
    process.exitCode = 1;
    await disconnect();
    return;
  }

  // Person / Membership
  const alice = await track(Person.create({ name: "Alice", email: "alice@example.com" }));
  const bob = await track(Person.create({ name: "Bob", email: "bob@example.com" }));
  await track(Membership.create({ person: alice, role: "admin" }));
  await track(Membership.create({ person: bob, role: "reader" }));
  const admins = await Membership.query().filter({ person__name: "Alice" });
  show(
    "Membership.query().filter({ person__name: 'Alice' })",
    admins.map((m) => `${m.redisKey} -> ${m.person?.redisKey} as ${m.role}`),
  );

  // Author / Book: "all books by Tolkien" is one SMEMBERS of the reverse set
  const tolkien = await track(Author.create({ name: "Tolkien", country: "UK" }));
  const leGuin = await track(Author.create({ name: "Le Guin", country: "US" }));
  await track(Book.create({ title: "The Hobbit", author: tolkien, pages: 310, genre: "fantasy" }));
  await track(
    Book.create({ title: "The Lord of the Rings", author: tolkien, pages: 1178, genre: "fantasy" }),
  );
  await track(Book.create({ title: "The Dispossessed", author: leGuin, pages: 387 }));
  await track(Book.create({ title: "A Wizard of Earthsea", author: leGuin, pages: 183, genre: "fantasy" }));

  const byTolkien = await Book.query().filter({ author: tolkien }).orderBy("pages");
  show(
    "Book.query().filter({ author: tolkien }).orderBy('pages')",
    byTolkien.map((b) => b.label),
  );
  show(
    "raw reverse set $RelationshipF:Book:author:Author:Tolkien",
    await redis.smembers("$RelationshipF:Book:author:Author:Tolkien"),
  );

  const long = await Book.query().filter({ pages__gte: 300, title__startswith: "The" }).orderBy("-pages");
  show(
    "Book.query().filter({ pages__gte: 300, title__startswith: 'The' }).orderBy('-pages')",
    long.map((b) => b.label),
  );

  const american = await Book.query()
    .filter({ author__name__in: ["Le Guin"] })
    .include("author");
  show(
    "Book.query().filter({ author__name__in: ['Le Guin'] }).include('author')",
    american.map((b) => `${b.title} by ${b.author?.name ?? "?"} (${b.author?.country ?? "?"})`),
  );

  show("Book.query().count({ pages__lt: 400 })", String(await Book.query().count({ pages__lt: 400 })));
  show(
    "Book.query().values('title', 'pages').orderBy('pages').limit(2)",
    await Book.query().values("title", "pages").orderBy("pages").limit(2),
  );

  // Reassignment moves the book between reverse sets in the same atomic write
  const [hobbit] = await Book.query().filter({ title: "The Hobbit" });
  if (hobbit) {
    hobbit.author = leGuin;
    await hobbit.save();
    show(
      "after moving The Hobbit to Le Guin: tolkien.related(Book, 'author').count()",
      String(await tolkien.related(Book, "author").count()),
    );
  }

  // Uniqueness is enforced inside the save script
  try {
    await Person.create({ name: "Mallory", email: "alice@example.com" });
  } catch (error) {
    if (error instanceof UniqueViolationError)
      show("a second alice@example.com", `${error.code}: ${error.message}`);
    else throw error;
  }

  // Filters are checked: an unindexed field is a QueryError (and a compile error in TypeScript)
  try {
    await Book.query().filter({ genre: "fantasy" } as never);
  } catch (error) {
    if (error instanceof QueryError) show("filter on a plain field", `${error.code}: ${error.message}`);
    else throw error;
  }

  // Deleting Alice cascades to her memberships (onDelete: "cascade"), atomically
  await alice.delete();
  show("Membership.query().count() after deleting Alice", String(await Membership.query().count()));

  await cleanUp();
  await disconnect();
}

main()
  .catch(async (error: unknown) => {
    console.error(error);
    await cleanUp().catch(() => undefined);
    await disconnect();
    process.exitCode = 1;
  })
  .finally(() => local.stop());
