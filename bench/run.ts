/**
 * The benchmark: popoto against hand-written ioredis code on the same storage layout, every
 * workload sequential and with many operations in flight. `npm run bench -- --help` for options.
 *
 * 1. warm-up: a short solo pass per subject and mode (scripts loaded, code compiled);
 * 2. storage check: each subject alone runs the writes; raw keys and bytes are compared;
 * 3. measured rounds: popoto and the baseline take turns slice by slice on the same data;
 * 4. heap: both load and stream many books; 5. optional CPU profiles (solo passes).
 */
import { Redis } from "ioredis";
import { connect, disconnect, getConnection } from "../src/index.js";
import { baselineSubject } from "./baseline/subject.js";
import { parseConfig, type BenchConfig } from "./config.js";
import { makeData } from "./data.js";
import { sharing, sourceVersion } from "./measure/environment.js";
import type { MemoryStats } from "./measure/memory.js";
import { medianRounds } from "./measure/median.js";
import { rememberSources, type ProfileSummary } from "./measure/profile.js";
import { runMemory } from "./passes/memory.js";
import { runInterleaved } from "./passes/interleaved.js";
import { runSolo } from "./passes/solo.js";
import { MODES, type WorkloadResult } from "./passes/types.js";
import { popotoSubject } from "./popoto/subject.js";
import { report } from "./report/report.js";
import { Verifier } from "./verify/verifier.js";
import { WORKLOADS } from "./workloads/index.js";
import type { Workload, WorkloadContext } from "./workloads/workload.js";

const selected = (config: BenchConfig): readonly Workload[] =>
  config.only.length === 0
    ? WORKLOADS
    : WORKLOADS.filter((w) => w.id === "1" || w.id === "2" || config.only.includes(w.id));

/** The benchmark's own Redis connections: admin, baseline, popoto. */
const OWN_CLIENTS = 3;

const WRITES = new Set(["1", "2", "7", "10"]);

const log = (what: string, start: number): void =>
  console.log(`${what} (${((Date.now() - start) / 1000).toFixed(1)} s)`);

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2));
  rememberSources(["src", "bench"]);
  const url = `${config.redisUrl}/${config.db}`;
  const started = new Date();
  const admin = new Redis(url, { lazyConnect: true });
  const baselineClient = new Redis(url, { lazyConnect: true });
  // The baseline's client has no command deadline (ioredis's default); popoto's default of 10 s
  // can expire on a loaded shared machine while 64 include() loads of 1,000 books are in flight,
  // and the bench measures throughput, not the deadline.
  await Promise.all([admin.connect(), baselineClient.connect(), connect({ url, commandTimeout: 120_000 })]);
  try {
    await admin.flushdb();
    const environmentStart = await sharing(admin, OWN_CLIENTS);
    const source = sourceVersion();
    const popotoClient = getConnection();
    if (!(popotoClient instanceof Redis)) throw new Error("the benchmark needs a standalone Redis");
    const popoto = popotoSubject(popotoClient);
    const baseline = baselineSubject(baselineClient);
    const subjects = [popoto, baseline] as const;
    const context: WorkloadContext = { data: makeData(config.books, config.authors), config };
    const workloads = selected(config);
    const verifier = new Verifier();

    let start = Date.now();
    const small: BenchConfig = {
      ...config,
      books: Math.min(config.books, 1500),
      authors: Math.min(config.authors, 20),
      ops: 200,
    };
    const warm: WorkloadContext = { data: makeData(small.books, small.authors), config: small };
    for (const mode of MODES)
      for (const subject of subjects) await runSolo({ subject, mode, context: warm, workloads, admin });
    log("warm-up", start);

    start = Date.now();
    const after = new Set(["2", "7", "10"]);
    for (const subject of subjects)
      await runSolo({
        subject,
        mode: "concurrent",
        context,
        workloads: workloads.filter((w) => WRITES.has(w.id)),
        admin,
        verify: { verifier, after },
      });
    log("storage check: each subject alone", start);

    const results: WorkloadResult[] = [];
    for (let round = 1; round <= config.rounds; round++)
      for (const mode of MODES) {
        start = Date.now();
        const verify = round === 1 ? verifier : undefined;
        results.push(
          ...(await runInterleaved({ subjects, mode, round, context, workloads, admin, verifier: verify })),
        );
        log(`round ${round}, ${mode}`, start);
      }

    let memory: MemoryStats[] = [];
    let redisBytesPerBook: number | undefined;
    if (config.memoryInstances > 0) {
      start = Date.now();
      ({ heap: memory, redisBytesPerBook } = await runMemory(config, subjects, baseline, admin));
      log(`heap: ${config.memoryInstances} books`, start);
    }

    const profiles: ProfileSummary[] = [];
    if (config.profile.length > 0) {
      start = Date.now();
      const profile = { ids: new Set(config.profile), summaries: profiles };
      for (const subject of subjects)
        await runSolo({ subject, mode: "sequential", context, workloads, admin, profile });
      log("CPU profiles", start);
    }

    await report({
      config,
      started,
      seconds: (Date.now() - started.getTime()) / 1000,
      environment: { start: environmentStart, end: await sharing(admin, OWN_CLIENTS), source },
      results: medianRounds(results),
      rounds: results,
      memory,
      redisBytesPerBook,
      verification: verifier.summary(),
      profiles,
      admin,
    });
  } finally {
    await admin.flushdb();
    await disconnect();
    await baselineClient.quit();
    await admin.quit();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
