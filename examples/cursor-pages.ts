/**
 * page(cursor): an API endpoint's "next page" link, by keyset. Each page starts after the last
 * row of the previous one, so books added or removed between two requests neither repeat nor
 * skip rows, and page 50 costs what page 1 does.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/cursor-pages.ts
 *
 * Deletes every instance of its model (PagedBook) at the end.
 */
import { connect, disconnect, isPopotoError, KeyField, Model, SortedField } from "../src/index.js";

class PagedBook extends Model("PagedBook", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}

/** What a handler for `GET /books?cursor=…` would return. */
async function booksPage(cursor: string | null): Promise<{ titles: string[]; next: string | null }> {
  const { items, next } = await PagedBook.query.orderBy("-pages").limit(3).page(cursor);
  return { titles: items.map((b) => `${b.title} (${b.pages})`), next };
}

async function main(): Promise<void> {
  for (let i = 1; i <= 10; i++) await PagedBook.create({ title: `Book ${i}`, pages: 100 * (i % 4) + i });

  const first = await booksPage(null);
  console.log("page 1:", first.titles);
  // Between two requests: a book added before the cursor, one of page 1 deleted.
  await PagedBook.create({ title: "Newcomer", pages: 999 });
  await (await PagedBook.load({ title: "Book 7" }))?.delete();
  let next = first.next;
  for (let page = 2; next !== null; page++) {
    const result = await booksPage(next);
    console.log(`page ${page}:`, result.titles);
    next = result.next;
  }

  try {
    await booksPage("tampered.cursor");
  } catch (error) {
    if (!isPopotoError(error, "INVALID_CURSOR")) throw error;
    console.log("a forged cursor:", error.code); // answer 400 Bad Request
  }
}

await connect();
try {
  await main();
} finally {
  await PagedBook.deleteAll();
  await disconnect();
}
