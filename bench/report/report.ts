/** Everything a run leaves behind: the terminal tables, bench/results/latest.json and, with --docs, the tables in docs/benchmarks.md. */
import { mkdir, writeFile } from "node:fs/promises";
import type { Redis } from "ioredis";
import type { BenchConfig } from "../config.js";
import { describeSharing, type Environment } from "../measure/environment.js";
import type { MemoryStats } from "../measure/memory.js";
import type { MedianResult } from "../measure/median.js";
import type { ProfileSummary } from "../measure/profile.js";
import type { WorkloadResult } from "../passes/types.js";
import type { VerificationSummary } from "../verify/verifier.js";
import { compare, SPEED_TARGET } from "./compare.js";
import { describeMachine } from "./machine.js";
import { refreshDoc, sections } from "./markdown.js";
import { textTable } from "./table.js";
import { memoryTable, resultsTable } from "./tables.js";

export interface RunReport {
  readonly config: BenchConfig;
  readonly started: Date;
  readonly seconds: number;
  /** The median round of each measurement. */
  readonly results: readonly MedianResult[];
  /** Every round. */
  readonly rounds: readonly WorkloadResult[];
  /** Other work on the machine and the Redis server when the run started and ended. */
  readonly environment: Environment;
  readonly memory: readonly MemoryStats[];
  /** Redis memory per book (undefined when the memory pass was skipped). */
  readonly redisBytesPerBook: number | undefined;
  readonly verification: VerificationSummary;
  readonly profiles: readonly ProfileSummary[];
  readonly admin: Redis;
}

export async function report(run: RunReport): Promise<void> {
  const machine = await describeMachine(run.admin);
  const comparisons = compare(run.results);
  const command = ["npm run bench --", ...process.argv.slice(2)].join(" ").replace(/ --$/, "");
  const { config } = run;
  const results = resultsTable(comparisons);
  const memory = run.memory.length > 0 ? memoryTable(run.memory) : undefined;

  console.log(
    `\n${config.books} books, ${config.authors} authors, ${config.concurrency} in flight when concurrent`,
  );
  console.log(`${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, Redis ${machine.redis}`);
  console.log(
    `at the start: ${describeSharing(run.environment.start)}; at the end: ${describeSharing(run.environment.end)}`,
  );
  console.log(
    `median of ${config.rounds} rounds; targets: popoto/baseline at least ${SPEED_TARGET}x unless the row ` +
      `says otherwise, no more round trips, no failures\n`,
  );
  console.log(textTable(results));
  const redisMemory =
    run.redisBytesPerBook === undefined
      ? undefined
      : `Redis memory per book: ${Math.round(run.redisBytesPerBook)} B (MEMORY USAGE of every key, ` +
        `after writing ${config.memoryInstances.toLocaleString("en-US")} books minus before, ÷ books)`;
  if (memory) console.log(`\nheap while loading ${config.memoryInstances} books\n\n${textTable(memory)}`);
  if (redisMemory) console.log(`\n${redisMemory}`);
  for (const p of run.profiles) {
    console.log(`\nprofile: ${p.label} (${p.totalMs} ms)`);
    for (const a of p.areas.slice(0, 8)) console.log(`  ${String(a.ms).padStart(7)} ms  ${a.name}`);
    for (const f of p.functions.slice(0, 12)) console.log(`  ${String(f.ms).padStart(7)} ms  ${f.name}`);
  }
  const { problems, checks } = run.verification;
  console.log(`\nverification: ${checks.length} checks, ${problems.length === 0 ? "all passed" : "FAILED"}`);
  for (const p of problems) console.log(`  ${p}`);

  await mkdir("bench/results", { recursive: true });
  const json = {
    command,
    startedAt: run.started.toISOString(),
    seconds: run.seconds,
    machine,
    config,
    targets: { speedRatio: SPEED_TARGET, roundTrips: "popoto <= baseline", failures: 0 },
    comparisons,
    environment: run.environment,
    results: run.results,
    rounds: run.rounds,
    memory: run.memory,
    redisBytesPerBook: run.redisBytesPerBook,
    verification: run.verification,
    profiles: run.profiles,
  };
  await writeFile("bench/results/latest.json", `${JSON.stringify(json, null, 2)}\n`);
  console.log("\nwrote bench/results/latest.json");

  if (!config.docs) return;
  const missing = await refreshDoc(
    "docs/benchmarks.md",
    sections({
      machine,
      command,
      date: run.started.toISOString().slice(0, 10),
      seconds: run.seconds,
      environment: run.environment,
      rounds: config.rounds,
      results,
      memory,
      redisMemory,
      verification: run.verification,
      profiles: run.profiles,
    }),
  );
  console.log(`wrote docs/benchmarks.md${missing.length ? ` (no markers for ${missing.join(", ")})` : ""}`);
}
