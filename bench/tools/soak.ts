/**
 * Soak of the index tools and the scripts at scale (not part of `npm test`; docs/benchmarks.md,
 * "Index tools and scripts at 1M instances"):
 *
 *   npm run bench:tools -- [--instances 1000000] [--batch-size 1000] [--all | --rebuild-check]
 *                          [--port <n>]
 *
 * (`--all` adds clean and rebuild of the healthy data and a check of the damaged data;
 * `--rebuild-check` runs only `rebuild` then `check` on the healthy data, then the queries;
 * `--port` uses a server a previous run filled, e.g. `redis-server --port <n>` filled by
 * `tsx bench/tools/fill.ts <port> <instances>`, and leaves it running.)
 *
 * 1. starts a private redis-server on a free loopback port (never the shared 6379), with the slow
 *    log catching every command over 1 ms;
 * 2. fills it with N books (key field, indexed field, relationship, sorted field) by pipelined raw
 *    writes of the bytes and entries popoto writes (src/model/hash.ts, src/write/index-entries.ts);
 * 3. runs the CLI as a user does (`popoto check|clean|rebuild`, a child process) and reports
 *    each run's peak RSS (/usr/bin/time -v) and time; then damages a few rows and indexes and
 *    runs check, clean, rebuild --corrupt=quarantine and check again;
 * 4. runs typical queries, and reports the slowest script and the slowest other command the
 *    server logged over the whole run.
 */
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Redis } from "ioredis";
import { fill, GENRES } from "./fill.js";
import { queries, slowest } from "./queries.js";

const { values: options } = parseArgs({
  options: {
    instances: { type: "string" },
    "batch-size": { type: "string" },
    all: { type: "boolean" },
    "rebuild-check": { type: "boolean" },
    port: { type: "string" },
  },
});
const N = Number(options.instances ?? 1_000_000);
const BATCH = options["batch-size"] ?? "1000";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

const given = options.port === undefined ? undefined : Number(options.port);
const port = given ?? (await freePort());
const server =
  given === undefined
    ? spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        {
          stdio: "ignore",
        },
      )
    : undefined;
process.on("exit", () => server?.kill("SIGKILL"));
const url = `redis://127.0.0.1:${port}/0`;
const admin = new Redis(port, "127.0.0.1", { retryStrategy: (n) => (n > 100 ? null : 50) });
await admin.ping();
// On this private server only: log every command slower than 1 ms, and keep them all.
await admin.config("SET", "slowlog-log-slower-than", "1000");
await admin.config("SET", "slowlog-max-len", "100000");

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

const usedMemory = async (): Promise<string> =>
  (await admin.info("memory")).match(/used_memory_human:(\S+)/)?.[1] ?? "?";

interface CliRun {
  readonly code: number;
  readonly rssMb: number;
  readonly ms: number;
  readonly stdout: string;
}

/** `popoto <args>` as a child process under /usr/bin/time -v: exit code, peak RSS, time. */
const cli = (...args: string[]): Promise<CliRun> =>
  new Promise((resolve) => {
    const started = Date.now();
    execFile(
      "/usr/bin/time",
      [
        "-v",
        process.execPath,
        "--import",
        "tsx",
        "src/cli/main.ts",
        ...args,
        "--models",
        "bench/tools/models.ts",
        "--url",
        url,
        "--batch-size",
        BATCH,
      ],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const rss = Number(stderr.match(/Maximum resident set size \(kbytes\): (\d+)/)?.[1] ?? 0);
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        if (code > 1) console.log(stderr);
        resolve({ code, rssMb: rss / 1024, ms: Date.now() - started, stdout });
      },
    );
  });

const rows: string[] = [];
async function run(label: string, ...args: string[]): Promise<CliRun> {
  const result = await cli(...args);
  const line = `| ${label} | ${result.code} | ${result.rssMb.toFixed(0)} MB | ${seconds(result.ms)} |`;
  rows.push(line);
  console.log(line);
  return result;
}

/** A few kinds of damage, each of which the tools must report and repair. */
async function damage(): Promise<void> {
  for (let i = 0; i < 1000; i++) await admin.srem(`$IndexF:Book:genre:g${i % GENRES}`, `Book:b${i}`); // missing
  for (let i = 0; i < 1000; i++) await admin.sadd("$IndexF:Book:genre:g0", `Book:ghost${i}`); // stale
  for (let i = 1000; i < 1010; i++) await admin.zadd("$SortF:Book:pages", -1, `Book:b${i}`); // wrong score
  await admin.hset("Book:b2000", "pages", Buffer.from([0xc1])); // corrupt row
  await admin.del("$KeyF:Book:id:b3000");
  await admin.set("$KeyF:Book:id:b3000", "not a set"); // wrong-typed index key
}

try {
  if (given === undefined) {
    const filling = Date.now();
    await fill(port, N);
    console.log(`filled ${N} books, 1000 authors in ${seconds(Date.now() - filling)}`);
  }
  console.log(`dbsize ${await admin.dbsize()}, used_memory ${await usedMemory()}`);
  await admin.call("SLOWLOG", "RESET");
  console.log(`| command | exit | peak RSS | time |\n|---|---|---|---|`);
  // The CLI's fixed cost (node, tsx, ioredis, the models): a check of 1000 authors.
  await run("check --model Author (1000 instances)", "check", "--model", "Author");
  if (options["rebuild-check"] === true) {
    await run("rebuild (healthy)", "rebuild");
    await run("check (after rebuild)", "check");
    await slowest(admin);
    await queries(port, admin);
    console.log(`\n${rows.join("\n")}`);
    process.exit(0);
  }
  await run("check (healthy)", "check");
  if (options.all === true) {
    await run("clean (healthy)", "clean");
    await run("rebuild (healthy)", "rebuild");
  }
  await damage();
  if (options.all === true) {
    const found = await run("check (damaged)", "check", "--json");
    const report = JSON.parse(found.stdout) as { models: { model: string; counts: object }[] };
    console.log(JSON.stringify(report.models.map((m) => [m.model, m.counts])));
  }
  await run("clean (damaged)", "clean");
  await run("rebuild --corrupt=quarantine", "rebuild", "--corrupt=quarantine");
  await run("check (after rebuild)", "check");
  await slowest(admin);
  await queries(port, admin);
  console.log(`\n${rows.join("\n")}`);
} finally {
  admin.disconnect();
  server?.kill("SIGKILL");
}
