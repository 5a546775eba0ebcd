/** popoto against the baseline, per workload and mode, with the targets each must meet. */
import type { OpStats } from "../measure/run-ops.js";
import type { Mode, WorkloadResult } from "../passes/types.js";

/** popoto must reach this share of the baseline's operations per second (unless the workload sets its own). */
export const SPEED_TARGET = 0.9;

export interface Comparison {
  readonly workload: string;
  readonly name: string;
  readonly mode: Mode;
  readonly popoto: OpStats;
  readonly baseline: OpStats;
  /** popoto ops/s ÷ baseline ops/s. */
  readonly ratio: number;
  /** The ratio to reach. */
  readonly speedTarget: number;
  readonly meetsSpeed: boolean;
  /** Contention workloads: no popoto operation failed (always true elsewhere: a failure ends the run). */
  readonly meetsFailures: boolean;
  /** popoto uses no more round trips per operation than the baseline. */
  readonly meetsRoundTrips: boolean;
}

export function compare(results: readonly WorkloadResult[]): Comparison[] {
  const find = (subject: string, workload: string, mode: Mode): WorkloadResult | undefined =>
    results.find((r) => r.subject === subject && r.workload === workload && r.mode === mode);
  const comparisons: Comparison[] = [];
  for (const mode of ["sequential", "concurrent"] as const)
    for (const popoto of results.filter((r) => r.subject === "popoto" && r.mode === mode)) {
      const baseline = find("baseline", popoto.workload, mode);
      if (!baseline) continue;
      const ratio = popoto.stats.opsPerSec / baseline.stats.opsPerSec;
      comparisons.push({
        workload: popoto.workload,
        name: popoto.name,
        mode,
        popoto: popoto.stats,
        baseline: baseline.stats,
        ratio,
        speedTarget: popoto.speedTarget,
        meetsSpeed: ratio >= popoto.speedTarget,
        meetsFailures: popoto.stats.failures === 0,
        meetsRoundTrips: popoto.stats.roundTripsPerOp <= baseline.stats.roundTripsPerOp + 1e-9,
      });
    }
  return comparisons;
}

/** What missed, in a few characters ("" when both targets are met). */
export const verdict = (c: Comparison): string =>
  [
    c.meetsSpeed ? "" : "slower",
    c.meetsRoundTrips ? "" : "more round trips",
    c.meetsFailures ? "" : `${c.popoto.failures} failed`,
  ]
    .filter(Boolean)
    .join(", ") || "met";
