/**
 * Schema changes that do not lie: a deploy that turns a plain field into a SortedField over stored
 * instances. Queries on the new index fail with INDEX_NOT_BUILT (they would miss the instances
 * written before it) until `migrate()` builds it; then they answer in full.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/schema-migrate.ts
 *
 * The previous deploy is played by a child process running this file with STAGE=previous (two
 * definitions of one model are two processes, as in production). It deletes every instance of
 * its model (MigBook) and the model's fingerprint at the end.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  connect,
  disconnect,
  Field,
  getConnection,
  isPopotoError,
  KeyField,
  Model,
  SortedField,
} from "../src/index.js";

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);

if (process.env["STAGE"] === "previous") {
  // The previous deploy: `pages` is stored, not indexed.
  class MigBook extends Model("MigBook", { title: KeyField(), pages: Field({ type: "int" }) }) {}
  await connect();
  await MigBook.bulkCreate(
    Array.from({ length: 50 }, (_, i) => ({ title: `Book ${i}`, pages: 100 + i * 10 })),
  );
  await disconnect();
} else {
  const previous = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
    env: { ...process.env, STAGE: "previous" },
    stdio: "inherit",
  });
  if (previous.status !== 0) process.exit(previous.status ?? 1);

  // This deploy: `pages` becomes a SortedField over the 50 stored books.
  class MigBook extends Model("MigBook", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}
  await connect();
  try {
    show("fingerprint before", await getConnection().hgetall("$Schema:MigBook"));
    try {
      await MigBook.query.count({ pages__gte: 400 });
    } catch (error) {
      if (!isPopotoError(error, "INDEX_NOT_BUILT")) throw error;
      show("query on the new index", error.message);
    }
    const result = await MigBook.migrate({
      batchSize: 10,
      onProgress: (phase, done, total) => show(`  ${phase}`, `${done}/${total}`),
    });
    show("migrate()", { built: result.built, added: result.added, complete: result.complete });
    show("fingerprint after", await getConnection().hgetall("$Schema:MigBook"));
    show("books of 400 pages or more", await MigBook.query.count({ pages__gte: 400 })); // 20
  } finally {
    await MigBook.deleteAll();
    await getConnection().del("$Schema:MigBook");
    await disconnect();
  }
}
