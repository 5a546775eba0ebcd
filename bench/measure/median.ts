/**
 * Several rounds reduced to one: per workload and mode, the round whose popoto/baseline ratio is
 * the median, reported for both subjects (so the pair compared always ran side by side).
 */
import type { WorkloadResult } from "../passes/types.js";

export interface MedianResult extends WorkloadResult {
  /** ops/s of every round, in round order. */
  readonly roundsOpsPerSec: readonly number[];
}

export function medianRounds(results: readonly WorkloadResult[]): MedianResult[] {
  const out: MedianResult[] = [];
  const keys = [...new Set(results.map((r) => `${r.mode}\u0000${r.workload}`))];
  for (const key of keys) {
    const group = results.filter((r) => `${r.mode}\u0000${r.workload}` === key);
    const rounds = [...new Set(group.map((r) => r.round))];
    const of = (subject: string, round: number): WorkloadResult | undefined =>
      group.find((r) => r.subject === subject && r.round === round);
    const ratio = (round: number): number =>
      (of("popoto", round)?.stats.opsPerSec ?? 0) / (of("baseline", round)?.stats.opsPerSec ?? 1);
    const sorted = [...rounds].sort((a, b) => ratio(a) - ratio(b));
    const chosen = sorted[Math.floor((sorted.length - 1) / 2)] ?? 1;
    for (const subject of ["popoto", "baseline"]) {
      const result = of(subject, chosen);
      if (!result) continue;
      out.push({
        ...result,
        roundsOpsPerSec: rounds.map((round) => of(subject, round)?.stats.opsPerSec ?? 0),
      });
    }
  }
  return out;
}
