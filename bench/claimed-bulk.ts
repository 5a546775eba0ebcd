/**
 * Claimed bulk writes of a sharded model: `bulkCreate()` (saveMany) of 200 new instances of a model with a
 * `UniqueField` and `shards: 24` (each value claimed across buckets, docs/storage.md §7a "Unique
 * values"), against the same model unsharded, on a standalone server. Reports the median of 7
 * runs' wall time and the commands and pipelines popoto sent (counts decide; the times are a
 * ratio on a shared machine, not a benchmark). Cleans its own keys (never FLUSHDB).
 * Run: `POPOTO_TEST_DB=4 npx tsx bench/claimed-bulk.ts [instances]`.
 */
import { Redis } from "ioredis";
import { connect, disconnect, KeyField, Model, UniqueField, type CommandEvent } from "../src/index.js";

const count = Number(process.argv[2] ?? 200);
const db = Number(process.env["POPOTO_TEST_DB"] ?? 15);
const url = `redis://127.0.0.1:6379/${db}`;
const fields = () => ({ id: KeyField(), email: UniqueField() });
class FlatUser extends Model("ClaimBenchFlat", fields()) {}
class ShardUser extends Model("ClaimBenchShard", fields(), { shards: 24 }) {}

const events: CommandEvent[] = [];
await connect({ url, onCommand: (e) => events.push(e) });
const raw = new Redis(url);

async function clean(): Promise<void> {
  for (const pattern of ["*ClaimBench*"]) {
    let cursor = "0";
    do {
      const [next, keys] = await raw.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await raw.del(...keys);
    } while (cursor !== "0");
  }
}

async function run(Model: typeof FlatUser | typeof ShardUser, round: number) {
  await clean();
  const users = Array.from({ length: count }, (_, i) => ({ id: `u${i}`, email: `u${i}.${round}@x.org` }));
  events.length = 0;
  const start = performance.now();
  await Model.bulkCreate(users);
  const ms = performance.now() - start;
  await new Promise((resolve) => setImmediate(resolve));
  const commands = events.length;
  const pipelined = events.filter((e) => e.pipeline).length;
  return { ms, commands, pipelined };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
for (const [name, Model] of [
  ["unsharded", FlatUser],
  ["sharded 24, claims", ShardUser],
] as const) {
  await run(Model, 0); // warm-up: scripts loaded, fingerprints known
  const runs = [];
  for (let r = 1; r <= 7; r++) runs.push(await run(Model, r));
  const last = runs[runs.length - 1];
  console.log(
    `${name}: bulkCreate(${count}) median ${median(runs.map((r) => r.ms)).toFixed(1)} ms ` +
      `(runs ${runs.map((r) => r.ms.toFixed(0)).join(", ")}); ${last?.commands} commands, ${last?.pipelined} in pipelines`,
  );
}
await clean();
raw.disconnect();
await disconnect();
