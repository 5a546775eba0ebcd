/**
 * Export and import: every instance as one JSON line, and the lines written back through the
 * normal write path (indexes rebuilt by the import's own writes). The CLI does the same:
 *
 *   npx popoto export --models ./dist/models.js > data.jsonl
 *   npx popoto import --models ./dist/models.js < data.jsonl
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/export-import.ts
 *
 * It deletes every instance of its models (XAuthor, XBook) at the end.
 */
import {
  connect,
  DatetimeField,
  DecimalField,
  disconnect,
  exportInstances,
  importInstances,
  KeyField,
  Model,
  Relationship,
  SetField,
  SortedField,
} from "../src/index.js";

class XAuthor extends Model("XAuthor", { name: KeyField() }) {}

class XBook extends Model("XBook", {
  title: KeyField(),
  author: Relationship(XAuthor),
  pages: SortedField({ type: "int" }),
  price: DecimalField(),
  tags: SetField(),
  added: DatetimeField(),
}) {}

async function main(): Promise<void> {
  const herbert = await XAuthor.create({ name: "Frank Herbert" });
  await XBook.create({
    title: "Dune",
    author: herbert,
    pages: 412,
    price: "9.90",
    tags: new Set(["sf", "classic"]),
    added: new Date("2024-01-02T03:04:05.678Z"),
  });

  // Export: an async generator of lines, read in batches (SSCAN + pipelined HGETALL).
  const lines: string[] = [];
  for (const model of [XAuthor, XBook]) for await (const line of exportInstances(model)) lines.push(line);
  console.log(lines.join("\n"));

  await XBook.deleteAll();
  await XAuthor.deleteAll();

  // Import: a bad line is reported by number and not written; the others are.
  const result = await importInstances(
    [...lines, '{"model":"XBook","values":{"title":"Bad"}}'],
    [XAuthor, XBook],
    {
      onBadLine: (line, message) => console.log(`line ${line} not imported: ${message.split("\n")[0]}`),
    },
  );
  console.log(result);
  // The sorted index was rebuilt by the import's own write.
  console.log(await XBook.query().filter({ pages__gte: 400 }).values("title", "price"));
}

await connect();
try {
  await main();
} finally {
  await XBook.deleteAll();
  await XAuthor.deleteAll();
  await disconnect();
}
