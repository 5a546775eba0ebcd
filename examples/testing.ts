/**
 * popoto/testing in a node:test file: the file gets a Redis database of its own, empty before
 * each test, emptied and released at the end. Run it like any node:test file:
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/testing.ts
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/testing.ts   # no database: a free one is claimed
 *
 * Under vitest, pass its hooks instead: useTestDatabase({ beforeAll, afterAll, beforeEach }).
 * A named database must be empty (or hold only popoto's keys, with allowExisting: true).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, test } from "node:test";
import { KeyField, Model, SortedField } from "../src/index.js";
import { useTestDatabase } from "../src/testing/index.js";

class TBook extends Model("TBook", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}

// A database named in the URL is used as given; with a URL without one, a free one is claimed.
const db = useTestDatabase(
  { before, after, beforeEach },
  { url: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379/9" },
);

test("a test sees only its own data", async () => {
  await TBook.create({ title: "Dune", pages: 412 });
  assert.deepEqual(await TBook.query.filter({ pages__gte: 400 }).values("title"), [{ title: "Dune" }]);
  console.log(`ran in database ${db.database} (${db.url})`);
});

test("the next test starts empty", async () => {
  assert.equal(await TBook.query.count(), 0);
});
