/**
 * A measured pass: every workload in order, popoto and the baseline taking turns slice by slice on
 * the same data, so both meet the same machine load. Reads: each subject runs every operation, in
 * alternating slices. Writes: slices alternate between subjects (each creates, reassigns or
 * deletes its own share), which works because both write the same keys and bytes.
 */
import type { Redis } from "ioredis";
import { Meter } from "../measure/run-ops.js";
import { SPEED_TARGET } from "../report/compare.js";
import { serverCpu } from "../measure/server-cpu.js";
import type { Subject } from "../subject.js";
import { normalizeAnswer } from "../verify/answers.js";
import type { Verifier } from "../verify/verifier.js";
import type { Workload, WorkloadContext } from "../workloads/workload.js";
import { collectGarbage, type Mode, type WorkloadResult } from "./types.js";

export interface InterleavedOptions {
  readonly subjects: readonly [Subject, Subject];
  readonly mode: Mode;
  readonly round: number;
  readonly context: WorkloadContext;
  readonly workloads: readonly Workload[];
  readonly admin: Redis;
  /** Compares the subjects' answers to the first operations of each query workload. */
  readonly verifier?: Verifier | undefined;
}

/** Slices per subject and workload. */
const SLICES = 10;
/** Operations of each query workload whose answers are compared. */
const ANSWERS = 5;

/** [from, to) ranges covering `count` operations. */
const slices = (count: number, size: number): [number, number][] => {
  const out: [number, number][] = [];
  for (let from = 0; from < count; from += size) out.push([from, Math.min(count, from + size)]);
  return out;
};

export async function runInterleaved(options: InterleavedOptions): Promise<WorkloadResult[]> {
  const { subjects, mode, round, context, admin, verifier } = options;
  const concurrency = mode === "sequential" ? 1 : context.config.concurrency;
  await admin.flushdb();
  for (const subject of subjects) subject.reset();
  const results: WorkloadResult[] = [];
  for (const workload of options.workloads) {
    const plan = workload.plan(context);
    const writes = workload.answers === "none";
    if (verifier && !writes)
      for (const subject of subjects) {
        const answers: string[] = [];
        for (let i = 0; i < Math.min(ANSWERS, plan.count); i++)
          answers.push(normalizeAnswer(await plan.run(subject, i), workload.answers === "ordered"));
        verifier.answers(`workload ${workload.id} answers, ${mode}`, subject.name, answers);
      }
    // Concurrent slices must be long enough to keep `concurrency` operations in flight.
    let size = Math.ceil(plan.count / SLICES);
    if (mode === "concurrent") size = Math.max(size, 8 * concurrency);
    if (writes) size = Math.min(size, Math.ceil(plan.count / 2));
    // Set-up (untimed) by the subject that goes first in this round.
    await plan.prepare?.(subjects[round % 2] as Subject);
    const meters = subjects.map((s) => new Meter(s.traffic, serverCpu(admin), workload.contended));
    collectGarbage();
    for (const [k, [from, to]] of slices(plan.count, size).entries()) {
      // Who goes first alternates by slice and by round.
      const first = (k + round) % 2;
      const order = writes ? [first] : [first, 1 - first];
      for (const which of order) {
        const subject = subjects[which] as Subject;
        await (meters[which] as Meter).run(from, to, concurrency, (i) => plan.run(subject, i));
        collectGarbage();
      }
    }
    subjects.forEach((subject, which) =>
      results.push({
        workload: workload.id,
        name: workload.name,
        subject: subject.name,
        mode,
        round,
        speedTarget: workload.speedTarget ?? SPEED_TARGET,
        contended: workload.contended === true,
        stats: (meters[which] as Meter).stats(),
      }),
    );
    if (workload.id === "1") for (const subject of subjects) await subject.loadAuthors(context.data.authors);
  }
  await admin.flushdb();
  return results;
}
