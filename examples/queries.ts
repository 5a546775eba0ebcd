/**
 * The query builder: immutable, awaitable queries; filter/exclude, or()/and()/not(), the nested
 * object form, ordering and paging, values(), first/exists/count/keys, iterate(), explain(), delete().
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/queries.ts
 *
 * It deletes every instance of its models (QAuthor, QBook) at the end.
 */
import {
  and,
  connect,
  disconnect,
  IndexedField,
  KeyField,
  Model,
  not,
  or,
  Relationship,
  SortedField,
} from "../src/index.js";

class QAuthor extends Model("QAuthor", { name: KeyField(), country: IndexedField() }) {}

class QBook extends Model("QBook", {
  title: KeyField(),
  author: Relationship(QAuthor),
  pages: SortedField({ type: "int" }),
  genre: IndexedField({ null: true }),
}) {}

declare module "../src/index.js" {
  interface Models {
    QAuthor: typeof QAuthor;
    QBook: typeof QBook;
  }
}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);
const titles = (books: readonly QBook[]): string[] => books.map((b) => b.title);

async function main(): Promise<void> {
  const tolkien = await QAuthor.create({ name: "Tolkien", country: "UK" });
  const leGuin = await QAuthor.create({ name: "Le Guin", country: "US" });
  const herbert = await QAuthor.create({ name: "Herbert", country: "US" });
  await QBook.bulkCreate([
    { title: "The Hobbit", author: tolkien, pages: 310, genre: "fantasy" },
    { title: "The Lord of the Rings", author: tolkien, pages: 1178, genre: "fantasy" },
    { title: "The Dispossessed", author: leGuin, pages: 387, genre: "sf" },
    { title: "A Wizard of Earthsea", author: leGuin, pages: 183, genre: "fantasy" },
    { title: "The Left Hand of Darkness", author: leGuin, pages: 304, genre: "sf" },
    { title: "Dune", author: herbert, pages: 412, genre: "sf" },
    { title: "Untitled draft", author: herbert, pages: 12 },
  ]);

  // Queries are immutable: each call returns a new query, and awaiting one runs it.
  const byLeGuin = QBook.query().filter({ author: leGuin });
  const longFirst = byLeGuin.orderBy("-pages");
  show("by Le Guin, longest first", titles(await longFirst));
  show("the same, without sf", titles(await longFirst.exclude({ genre: "sf" })));

  // or() / and() / not(), evaluated with set operations in Redis; nestable.
  show(
    "or({ pages__lt: 200 }, { pages__gt: 1000 })",
    titles(
      await QBook.query()
        .filter(or({ pages__lt: 200 }, { pages__gt: 1000 }))
        .orderBy("pages"),
    ),
  );
  show(
    "or(and({ genre: 'sf' }, { author__country: 'US' }), { title__startswith: 'The H' }), not({ pages__lt: 350 })",
    titles(
      await QBook.query()
        .filter(or(and({ genre: "sf" }, { author__country: "US" }), { title__startswith: "The H" }))
        .filter(not({ pages__lt: 350 }))
        .orderBy("title"),
    ),
  );
  show("genre__isnull: true", titles(await QBook.query().filter({ genre__isnull: true })));

  // The nested object form is the same filter as the `__` form.
  show(
    "{ author: { country: 'US' }, pages: { gte: 300, lt: 400 } }",
    titles(
      await QBook.query()
        .filter({ author: { country: "US" }, pages: { gte: 300, lt: 400 } })
        .orderBy("pages"),
    ),
  );
  show(
    "{ author__country: 'US', pages__between: [300, 399] }",
    titles(
      await QBook.query()
        .filter({ author__country: "US", pages__between: [300, 399] })
        .orderBy("pages"),
    ),
  );

  // Ordering and paging on a sorted field happen in Redis.
  const byPages = QBook.query().orderBy("pages");
  for (let page = 0; page < 3; page++)
    show(`page ${page + 1} by pages (3 a page)`, titles(await byPages.offset(page * 3).limit(3)));

  // values(): plain records with only these fields.
  show(
    "values('title', 'pages'), longest 2",
    await QBook.query().values("title", "pages").orderBy("-pages").limit(2),
  );

  // first, exists, count, keys.
  show("first by title", (await QBook.query().orderBy("title").first())?.title);
  show("exists({ genre: 'horror' })", await QBook.query().filter({ genre: "horror" }).exists());
  show("count({ genre: 'sf' })", await QBook.query().count({ genre: "sf" }));
  show("keys of Tolkien's books", (await QBook.query().filter({ author__name: "Tolkien" }).keys()).sort());

  // get(): the one match or null; it throws when several match.
  show("get({ title: 'Dune' })", (await QBook.query().get({ title: "Dune" }))?.pages);

  // iterate(): streams the matches batchSize at a time (order, limit and offset do not apply).
  let total = 0;
  for await (const book of QBook.query().filter({ genre: "fantasy" }).iterate({ batchSize: 2 }))
    total += book.pages;
  show("fantasy pages, streamed", total);

  // explain(): the index keys and set operations Redis will use.
  const plan = await QBook.query()
    .filter({ author__country: "US", pages__gte: 300 })
    .exclude({ genre: "fantasy" })
    .orderBy("-pages")
    .explain();
  show("explain()", { order: plan.order, roundTrips: plan.roundTrips, indexKeys: plan.indexKeys });
  console.dir(plan.plan, { depth: null });

  // delete(): every match, each atomically with its index entries.
  show("delete genre__isnull: true", await QBook.query().filter({ genre__isnull: true }).delete());
  show("count() after", await QBook.query().count());
}

await connect();
try {
  await main();
} finally {
  for (const model of [QBook, QAuthor]) await model.deleteAll();
  await disconnect();
}
