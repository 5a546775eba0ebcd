/**
 * Node heap growth while loading many instances: heap used after a full GC before and after the
 * load (the instances still referenced), plus the highest heap seen while it ran.
 */
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";

export interface MemoryStats {
  readonly subject: string;
  readonly method: string;
  readonly instances: number;
  readonly seconds: number;
  /** Heap used after GC, with every loaded instance still referenced, minus before (MiB). */
  readonly retainedHeapMiB: number;
  /** The same for Buffers' backing memory outside the heap (MiB). */
  readonly retainedExternalMiB: number;
  /** Highest heap used seen during the load minus before, garbage included (MiB). */
  readonly peakHeapMiB: number;
  readonly bytesPerInstance: number;
}

const MiB = 1024 * 1024;

const collect = (): void => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc (npm run bench does)");
  gc();
  gc();
};

/**
 * Measures `load`, which returns what it keeps (an array) or how many it streamed (a number); it
 * may call `look` between batches so the peak is sampled while it runs.
 */
export async function measureLoad(
  subject: string,
  method: string,
  load: (look: () => void) => Promise<readonly unknown[] | number>,
): Promise<MemoryStats> {
  collect();
  const before = process.memoryUsage();
  let peak = before.heapUsed;
  const look = (): void => {
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  const timer = setInterval(look, 5);
  const start = performance.now();
  const result = await load(look);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  look();
  collect();
  const after = process.memoryUsage();
  const instances = typeof result === "number" ? result : result.length;
  const retained = after.heapUsed - before.heapUsed;
  return {
    subject,
    method,
    instances,
    seconds,
    retainedHeapMiB: retained / MiB,
    retainedExternalMiB: (after.arrayBuffers - before.arrayBuffers) / MiB,
    peakHeapMiB: (peak - before.heapUsed) / MiB,
    bytesPerInstance: instances > 0 && typeof result !== "number" ? retained / instances : 0,
  };
}

/**
 * Redis memory of every key in the database: the sum of `MEMORY USAGE … SAMPLES 0` (exact: the
 * value, the key name and its dictionary entry; not the main table's bucket array), read with
 * SCAN. Other databases and clients of a shared server do not disturb it, unlike `used_memory`.
 */
export async function redisBytes(redis: Redis): Promise<number> {
  let cursor = "0";
  let total = 0;
  do {
    const [next, keys] = await redis.scan(cursor, "COUNT", 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of keys) pipeline.memory("USAGE", key, "SAMPLES", 0);
    for (const [error, bytes] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      total += Number(bytes ?? 0);
    }
  } while (cursor !== "0");
  return total;
}
