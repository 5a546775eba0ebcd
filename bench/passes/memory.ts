/**
 * The heap measurement: many books are written (by the baseline's writer, which stores the same
 * bytes as popoto, and faster), then each subject loads them all, keeping them, and streams them.
 */
import type { Redis } from "ioredis";
import type { BenchConfig } from "../config.js";
import { at } from "../workloads/workload.js";
import { makeData } from "../data.js";
import { measureLoad, redisBytes, type MemoryStats } from "../measure/memory.js";
import { runOps } from "../measure/run-ops.js";
import type { Subject } from "../subject.js";

export interface MemoryResult {
  readonly heap: MemoryStats[];
  /** Redis memory per book (MEMORY USAGE of every key after the books, minus before, ÷ books). */
  readonly redisBytesPerBook: number;
}

export async function runMemory(
  config: BenchConfig,
  subjects: readonly Subject[],
  writer: Subject,
  admin: Redis,
): Promise<MemoryResult> {
  await admin.flushdb();
  const data = makeData(config.memoryInstances, config.authors);
  await runOps(data.authors.length, 64, (i) => writer.createAuthor(at(data.authors, i)), writer.traffic);
  const before = await redisBytes(admin);
  await runOps(data.books.length, 256, (i) => writer.createBook(at(data.books, i)), writer.traffic);
  const redisBytesPerBook = ((await redisBytes(admin)) - before) / data.books.length;
  const results: MemoryStats[] = [];
  for (const subject of subjects)
    results.push(await measureLoad(subject.name, "load all, keep them", () => subject.loadAll()));
  for (const subject of subjects)
    results.push(
      await measureLoad(subject.name, "stream all (batches of 500)", (look) => subject.iterateAll(look)),
    );
  await admin.flushdb();
  return { heap: results, redisBytesPerBook };
}
