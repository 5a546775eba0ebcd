/**
 * Node heap growth while loading many instances: heap used after a full GC before and after the
 * load (the instances still referenced), plus the highest heap seen while it ran.
 */
import { performance } from "node:perf_hooks";

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
