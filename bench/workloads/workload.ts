/** A benchmark workload: a number of operations, each one call on a subject. */
import type { BenchConfig } from "../config.js";
import { random, type DataSet } from "../data.js";
import type { Subject } from "../subject.js";

export interface WorkloadContext {
  readonly data: DataSet;
  readonly config: BenchConfig;
}

/** The operations of one run of a workload; parameters are fixed, so every run does the same work. */
export interface Plan {
  readonly count: number;
  run(subject: Subject, i: number): Promise<unknown>;
  /** Untimed set-up by one subject before the first operation (e.g. the instance all operations hit). */
  prepare?(subject: Subject): Promise<unknown>;
}

export interface Workload {
  readonly id: string;
  readonly name: string;
  /** Whether operation results are query answers to compare across implementations, and if order matters. */
  readonly answers: "none" | "ordered" | "unordered";
  /**
   * Contention workloads: an operation that throws (e.g. CONCURRENT_MODIFICATION) is counted as a
   * failure instead of ending the run, and the target includes 0 failures.
   */
  readonly contended?: boolean;
  /** popoto ops/s ÷ baseline ops/s to reach in both modes (default SPEED_TARGET). */
  readonly speedTarget?: number;
  plan(context: WorkloadContext): Plan;
}

/** `count` parameters from a generator seeded per workload. */
export const params = <T>(count: number, seed: number, make: (next: () => number) => T): T[] => {
  const next = random(seed);
  return Array.from({ length: count }, () => make(next));
};

/** The i-th parameter (plans index within their own arrays). */
export const at = <T>(list: readonly T[], i: number): T => {
  const value = list[i];
  if (value === undefined) throw new Error(`no parameter ${i}`);
  return value;
};
