/** What a pass measures: one workload, one subject, one mode, one round. */
import type { OpStats } from "../measure/run-ops.js";
import type { SubjectName } from "../subject.js";

export type Mode = "sequential" | "concurrent";

export const MODES: readonly Mode[] = ["sequential", "concurrent"];

export interface WorkloadResult {
  readonly workload: string;
  readonly name: string;
  readonly subject: SubjectName;
  readonly mode: Mode;
  readonly round: number;
  /** The workload's speed target (popoto ÷ baseline ops/s). */
  readonly speedTarget: number;
  /** Failures are counted, and the target includes none. */
  readonly contended: boolean;
  readonly stats: OpStats;
}

/** Collects garbage between measured slices (untimed), so no slice pays for another's garbage. */
export const collectGarbage = (): void => {
  (globalThis as { gc?: () => void }).gc?.();
};
