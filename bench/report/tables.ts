/**
 * The result table (one row per workload and mode: throughput against the target, latency, round
 * trips, CPU, failures and the verdict) and the heap table.
 */
import type { MemoryStats } from "../measure/memory.js";
import type { Comparison } from "./compare.js";
import { verdict } from "./compare.js";
import { msText, opsText, ratioText, tripsText } from "./format.js";
import type { Table } from "./table.js";

export function resultsTable(comparisons: readonly Comparison[]): Table {
  return {
    headers: [
      "#",
      "workload",
      "mode",
      "ops",
      "popoto ops/s",
      "baseline ops/s",
      "popoto/baseline",
      "target",
      "popoto p50 / p99 ms",
      "baseline p50 / p99 ms",
      "round trips/op popoto / baseline",
      "Node CPU µs/op popoto / baseline",
      "Redis CPU µs/op popoto / baseline",
      "failures popoto / baseline",
      "verdict",
    ],
    align: ["r", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l"],
    rows: comparisons.map((c) => [
      c.workload,
      c.name,
      c.mode,
      String(c.popoto.ops),
      opsText(c.popoto.opsPerSec),
      opsText(c.baseline.opsPerSec),
      ratioText(c.ratio),
      `≥ ${ratioText(c.speedTarget)}`,
      `${msText(c.popoto.p50Ms)} / ${msText(c.popoto.p99Ms)}`,
      `${msText(c.baseline.p50Ms)} / ${msText(c.baseline.p99Ms)}`,
      `${tripsText(c.popoto.roundTripsPerOp)} / ${tripsText(c.baseline.roundTripsPerOp)}`,
      `${Math.round(c.popoto.cpuUsPerOp)} / ${Math.round(c.baseline.cpuUsPerOp)}`,
      `${Math.round(c.popoto.redisCpuUsPerOp)} / ${Math.round(c.baseline.redisCpuUsPerOp)}`,
      `${c.popoto.failures} / ${c.baseline.failures}`,
      verdict(c),
    ]),
  };
}

export function memoryTable(memory: readonly MemoryStats[]): Table {
  return {
    headers: [
      "subject",
      "how",
      "books",
      "seconds",
      "books/s",
      "heap retained MiB",
      "external retained MiB",
      "peak heap growth MiB",
      "heap bytes/book",
    ],
    align: ["l", "l", "r", "r", "r", "r", "r", "r", "r"],
    rows: memory.map((m) => [
      m.subject,
      m.method,
      String(m.instances),
      m.seconds.toFixed(2),
      opsText(m.instances / m.seconds),
      m.retainedHeapMiB.toFixed(1),
      m.retainedExternalMiB.toFixed(1),
      m.peakHeapMiB.toFixed(1),
      m.bytesPerInstance > 0 ? String(Math.round(m.bytesPerInstance)) : "-",
    ]),
  };
}
