/**
 * A solo pass: every selected workload in order for one subject alone, on an empty database. Used
 * to warm up, to check that each subject alone writes the same storage (compared at checkpoints),
 * and to CPU-profile one subject.
 */
import type { Redis } from "ioredis";
import { profiled, type ProfileSummary } from "../measure/profile.js";
import { runOps, type OpStats } from "../measure/run-ops.js";
import type { Subject } from "../subject.js";
import type { Verifier } from "../verify/verifier.js";
import type { Workload, WorkloadContext } from "../workloads/workload.js";
import type { Mode } from "./types.js";

export interface SoloOptions {
  readonly subject: Subject;
  readonly mode: Mode;
  readonly context: WorkloadContext;
  readonly workloads: readonly Workload[];
  /** A client for flushing and fingerprinting the database (its traffic is not counted). */
  readonly admin: Redis;
  /** Compares storage after these workloads with other passes'. */
  readonly verify?: { readonly verifier: Verifier; readonly after: ReadonlySet<string> } | undefined;
  /** Workload ids to CPU-profile, and where the summaries go. */
  readonly profile?: { readonly ids: ReadonlySet<string>; readonly summaries: ProfileSummary[] } | undefined;
}

export async function runSolo(options: SoloOptions): Promise<void> {
  const { subject, mode, context, admin, verify, profile } = options;
  const concurrency = mode === "sequential" ? 1 : context.config.concurrency;
  await admin.flushdb();
  subject.reset();
  for (const workload of options.workloads) {
    const plan = workload.plan(context);
    await plan.prepare?.(subject);
    const measure = (): Promise<OpStats> =>
      runOps(plan.count, concurrency, (i) => plan.run(subject, i), subject.traffic, workload.contended);
    if (profile?.ids.has(workload.id)) {
      const file = `bench/results/profile-${workload.id}-${subject.name}.cpuprofile.json`;
      const run = await profiled(
        `workload ${workload.id} ${workload.name}, ${subject.name} ${mode}`,
        file,
        measure,
      );
      profile.summaries.push(run.summary);
    } else await measure();
    if (workload.id === "1") await subject.loadAuthors(context.data.authors);
    if (verify?.after.has(workload.id))
      await verify.verifier.storage(
        admin,
        `storage after workload ${workload.id}`,
        `${subject.name} alone, ${mode}`,
      );
  }
  await admin.flushdb();
}
