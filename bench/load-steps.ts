/**
 * Node CPU per `load()` of a bench Book, step by step (64 in flight, 100,000 each): the raw
 * HGETALL, then the Map, decodeHash, hydrateRow, loadInstance and `Book.load` itself, so each
 * step's cost is the difference to the line above. Redis's CPU is not counted (another process).
 *
 * Usage: npx tsx bench/load-steps.ts [redis url, default redis://127.0.0.1:6379/9]
 * (it writes 1,000 books and an author to that database and deletes them at the end)
 */
import { connect, disconnect, getConnection } from "../src/index.js";
import { Author, Book } from "./popoto/models.js";
import { decodeHash, hashFromFlat } from "../src/model/hash.js";
import { hydrateRow, type BlankConstructible } from "../src/model/hydrate-row.js";
import { loadInstance } from "../src/model/load.js";
await connect(process.argv[2] ?? "redis://127.0.0.1:6379/9");
const a = await Author.create({ name: "a", country: "x" });
for (let i = 0; i < 1000; i++) await Book.create({ title: `t${i}`, author: a, pages: i, genre: "g" });
const meta = (Book as unknown as { meta: Parameters<typeof decodeHash>[0] }).meta;
const measure = async (label: string, op: (i: number) => Promise<unknown>) => {
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < n) {
          const i = next++;
          await op(i % 1000);
        }
      }),
    );
  };
  await run(20000);
  const t0 = process.cpuUsage();
  await run(100000);
  const cpu = process.cpuUsage(t0);
  console.log(label.padEnd(34), ((cpu.user + cpu.system) / 100000).toFixed(1), "µs CPU/op");
};
const raw = async (i: number) => {
  const key = `Book:t${i}`;
  return hashFromFlat((await getConnection().callBuffer("HGETALL", key)) as Buffer[]);
};
for (let r = 0; r < 2; r++) {
  await measure("A HGETALL", (i) => getConnection().callBuffer("HGETALL", `Book:t${i}`));
  await measure("B + Map", raw);
  await measure("C + decodeHash", async (i) => {
    const h = await raw(i);
    return decodeHash(meta, `Book:t${i}`, h);
  });
  await measure("D + hydrateRow", async (i) => {
    const h = await raw(i);
    const key = `Book:t${i}`;
    return hydrateRow(meta, Book as unknown as BlankConstructible, {
      key,
      values: decodeHash(meta, key, h),
      hash: h,
    });
  });
  await measure("E loadInstance (no tracing)", (i) =>
    loadInstance(meta, Book as unknown as BlankConstructible, { title: `t${i}` }),
  );
  await measure("F Book.load", (i) => Book.load({ title: `t${i}` }));
}
await Book.deleteAll();
await Author.deleteAll();
await disconnect();
