/**
 * Composite indexes (model option `indexes`): one set per combination of values, read when a
 * filter gives every field of an index by equality; `unique: true` makes a combination unique,
 * enforced inside the write script, and mirrored in Popoto 1.x's `$Index` hash.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/composite-indexes.ts
 *
 * It deletes every instance of its models (CiAuthor, CiBook) at the end.
 */
import {
  connect,
  disconnect,
  getConnection,
  IndexedField,
  KeyField,
  Model,
  Relationship,
  SortedField,
  UniqueViolationError,
} from "../src/index.js";

class CiAuthor extends Model("CiAuthor", { name: KeyField() }) {}

class CiBook extends Model(
  "CiBook",
  {
    title: KeyField(),
    author: Relationship(CiAuthor),
    year: SortedField({ type: "int" }),
    isbn: IndexedField(),
    printing: IndexedField({ type: "int", null: true }),
  },
  { indexes: [["author", "year"], { fields: ["isbn", "printing"], unique: true }] },
) {}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);
const titles = (books: readonly CiBook[]): string[] => books.map((b) => b.title).sort();

async function main(): Promise<void> {
  const tolkien = await CiAuthor.create({ name: "Tolkien" });
  await CiBook.create({ title: "The Hobbit", author: tolkien, year: 1937, isbn: "978-0", printing: 1 });
  await CiBook.create({ title: "Farmer Giles", author: tolkien, year: 1949, isbn: "978-1", printing: 1 });
  await CiBook.create({ title: "Le Hobbit", author: tolkien, year: 1937, isbn: "978-2", printing: null });

  // The unique index also keeps Popoto 1.x's hash, written in the same atomic write: the digest of
  // the values' Python str() ("978-0:1") → the holder's key. "Le Hobbit" (printing null) has none.
  show("$Index:CiBook:isbn:printing", await getConnection().hgetall("$Index:CiBook:isbn:printing"));

  const query = CiBook.query().filter({ author: tolkien, year: 1937 });
  show("author + year 1937", titles(await query));
  show("index keys read", (await query.explain()).indexKeys);

  // A unique combination: the second holder is refused, and nothing of it is written.
  try {
    await CiBook.create({ title: "Pirate Hobbit", author: tolkien, year: 1937, isbn: "978-0", printing: 1 });
  } catch (error) {
    if (!(error instanceof UniqueViolationError)) throw error;
    show("a second 978-0, printing 1", `${error.code}: ${error.message}`);
  }
  // null is not a value two instances can clash on.
  await CiBook.create({
    title: "Hobbit (proof)",
    author: tolkien,
    year: 1936,
    isbn: "978-2",
    printing: null,
  });
  show("books in all", await CiBook.query().count());
}

await connect();
try {
  await main();
} finally {
  for (const model of [CiBook, CiAuthor]) await model.deleteAll();
  await disconnect();
}
