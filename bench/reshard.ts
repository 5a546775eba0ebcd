/**
 * How long an online reshard takes: 20,000 instances of a model with `shards: 4` (a key, an
 * `IndexedField`, an int `SortedField`, a `UniqueField` on every tenth) moved to 6 buckets with
 * `Model.reshard()` on the standalone server, nothing else writing. Uses database 2 (or
 * POPOTO_TEST_DB) and deletes its own keys at the end (SCAN + UNLINK of its model's keys only).
 * Run: `npx tsx bench/reshard.ts [instances] [batchSize]`. Results: docs/benchmarks.md, "Resharding".
 */
import { Redis } from "ioredis";
import {
  connect,
  disconnect,
  IndexedField,
  KeyField,
  Model,
  SortedField,
  UniqueField,
} from "../src/index.js";

const instances = Number(process.argv[2] ?? 20_000);
const batchSize = Number(process.argv[3] ?? 500);
const url = `redis://127.0.0.1:6379/${process.env["POPOTO_TEST_DB"] ?? 2}`;

class BenchReshard extends Model(
  "BenchReshard",
  {
    id: KeyField(),
    kind: IndexedField(),
    at: SortedField({ type: "int" }),
    email: UniqueField({ null: true }),
  },
  { shards: 4 },
) {}

const raw = new Redis(url);
const cleanup = async (): Promise<void> => {
  for (const match of ["*BenchReshard*"]) {
    let cursor = "0";
    do {
      const [next, keys] = await raw.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await raw.unlink(...keys);
    } while (cursor !== "0");
  }
};

await connect(url);
try {
  await cleanup();
  const startCreate = Date.now();
  for (let i = 0; i < instances; i += 1000)
    await BenchReshard.bulkCreate(
      Array.from({ length: Math.min(1000, instances - i) }, (_, j) => ({
        id: `e${i + j}`,
        kind: `k${(i + j) % 10}`,
        at: i + j,
        email: (i + j) % 10 === 0 ? `u${i + j}@x` : null,
      })),
    );
  const created = Date.now() - startCreate;
  const memoryBefore = Number(/used_memory:(\d+)/.exec(await raw.info("memory"))?.[1] ?? 0);
  const start = Date.now();
  const result = await BenchReshard.reshard({ shards: 6, batchSize });
  const took = Date.now() - start;
  console.log(
    JSON.stringify(
      { instances, batchSize, createMs: created, reshardMs: took, ...result, memoryBefore },
      null,
      2,
    ),
  );
  console.log(`${((result.moved / took) * 1000).toFixed(0)} instances moved per second`);
} finally {
  await cleanup();
  await raw.quit();
  await disconnect();
}
