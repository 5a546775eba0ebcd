/**
 * How long one delete step holds Redis: deletes an author with `books` books (cascade), each with
 * a cascading chapter, on a private redis-server (spare loopback port, never the shared one), and
 * measures the server's main-thread CPU time (INFO cpu) around every step. CPU time, not wall
 * time: on a loaded machine a script's wall time is stretched by preemption, its CPU time is not.
 * Run: `npx tsx bench/delete-steps.ts [books] [maxKeys]` (defaults 10,000 and popoto's bound).
 * Results: docs/benchmarks.md, "Deletes in steps".
 */
import { connect, disconnect } from "../src/index.js";
import { deleteSequenceHooks, type DeleteStepInfo } from "../src/model/delete-sequence.js";
import { DEFAULT_STEP_LIMITS } from "../src/write/plan-delete.js";
import { createLibrary } from "../test/fixtures/delete-models.js";
import { startServer } from "../test/support/redis-server.js";

const books = Number(process.argv[2] ?? 10_000);
const maxKeys = Number(process.argv[3] ?? DEFAULT_STEP_LIMITS.maxKeys);
const server = await startServer();
try {
  await connect(server.url(0));
  const author = await createLibrary("bench", books);
  const admin = server.client(0);
  /** Main-thread CPU seconds of the server so far. */
  const cpu = async (): Promise<number> => {
    const text = await admin.info("cpu");
    const read = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(text)?.[1] ?? 0);
    return read("used_cpu_user_main_thread") + read("used_cpu_sys_main_thread");
  };
  // One INFO alone, to subtract its own cost from each reading.
  const a = await cpu();
  const infoCost = (await cpu()) - a;
  deleteSequenceHooks.limits = { ...DEFAULT_STEP_LIMITS, maxKeys };
  const steps: (DeleteStepInfo & { cpuMs: number })[] = [];
  let before = 0;
  const measure = async (): Promise<void> => {
    const now = await cpu();
    const last = steps[steps.length - 1];
    if (last) last.cpuMs = (now - before - infoCost) * 1000;
    before = now;
  };
  deleteSequenceHooks.beforeStep = async (info) => {
    await measure();
    steps.push({ ...info, cpuMs: 0 });
  };
  const started = performance.now();
  await author.delete();
  const totalMs = performance.now() - started;
  deleteSequenceHooks.beforeStep = undefined;
  // The last step's CPU includes the sweep's reads after it: an upper bound.
  await measure();
  const cpuMs = steps.map((s) => s.cpuMs).sort((x, y) => x - y);
  const at = (q: number): number => Number((cpuMs[Math.floor(q * (cpuMs.length - 1))] ?? 0).toFixed(2));
  process.stdout.write(
    `${JSON.stringify({
      books,
      instances: 2 * books + 1,
      maxKeys,
      steps: steps.length,
      keysPerStep: Math.max(...steps.map((s) => s.keys)),
      writesPerStep: Math.max(...steps.map((s) => s.writes)),
      stepCpuMs: { median: at(0.5), max: at(1) },
      totalMs: Math.round(totalMs),
    })}\n`,
  );
  await disconnect();
} finally {
  await server.stop();
}
