/** The result tables: throughput, latency and round trips per workload and mode; heap use. */
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
      "popoto p50 / p99 ms",
      "baseline p50 / p99 ms",
      "round trips/op popoto / baseline",
      "Node CPU µs/op popoto / baseline",
      "Redis CPU µs/op popoto / baseline",
      "targets",
    ],
    align: ["r", "l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "r", "l"],
    rows: comparisons.map((c) => [
      c.workload,
      c.name,
      c.mode,
      String(c.popoto.ops),
      opsText(c.popoto.opsPerSec),
      opsText(c.baseline.opsPerSec),
      ratioText(c.ratio),
      `${msText(c.popoto.p50Ms)} / ${msText(c.popoto.p99Ms)}`,
      `${msText(c.baseline.p50Ms)} / ${msText(c.baseline.p99Ms)}`,
      `${tripsText(c.popoto.roundTripsPerOp)} / ${tripsText(c.baseline.roundTripsPerOp)}`,
      `${Math.round(c.popoto.cpuUsPerOp)} / ${Math.round(c.baseline.cpuUsPerOp)}`,
      `${Math.round(c.popoto.redisCpuUsPerOp)} / ${Math.round(c.baseline.redisCpuUsPerOp)}`,
      verdict(c),
    ]),
  };
}

/** One row per workload: the ratio in each mode and the round trips. */
export function ratioTable(comparisons: readonly Comparison[]): Table {
  const ids = [...new Set(comparisons.map((c) => c.workload))];
  return {
    headers: [
      "#",
      "workload",
      "target",
      "sequential",
      "concurrent",
      "round trips popoto / baseline",
      "failures popoto / baseline",
      "targets",
    ],
    align: ["r", "l", "r", "r", "r", "r", "r", "l"],
    rows: ids.map((id) => {
      const seq = comparisons.find((c) => c.workload === id && c.mode === "sequential");
      const conc = comparisons.find((c) => c.workload === id && c.mode === "concurrent");
      const any = seq ?? conc;
      const missed = [seq, conc].filter((c): c is Comparison => c !== undefined && verdict(c) !== "met");
      return [
        id,
        any?.name ?? "",
        any ? `≥ ${ratioText(any.speedTarget)}` : "",
        seq ? ratioText(seq.ratio) : "",
        conc ? ratioText(conc.ratio) : "",
        any ? `${tripsText(any.popoto.roundTripsPerOp)} / ${tripsText(any.baseline.roundTripsPerOp)}` : "",
        [seq, conc]
          .filter((c): c is Comparison => c !== undefined)
          .map((c) => `${c.popoto.failures} / ${c.baseline.failures}`)
          .join(", "),
        missed.length === 0 ? "met" : missed.map((c) => `${c.mode}: ${verdict(c)}`).join("; "),
      ];
    }),
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
