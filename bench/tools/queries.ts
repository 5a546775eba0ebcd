/**
 * The typical queries of the soak (bench/tools/soak.ts), and the slow-log summary: the slowest
 * script and the slowest other command a private server logged (it logs every command over 1 ms).
 * Also runnable alone against a soak's server: `tsx bench/tools/queries.ts <port>`.
 */
import { fileURLToPath } from "node:url";

import { Redis } from "ioredis";
import { connect, disconnect } from "../../src/index.js";
import { Book } from "./models.js";

/** The typical queries: a label, and the query for round `r`. */
const QUERIES: [string, (r: number) => Promise<unknown>][] = [
  ["filter by key field", (r) => Book.query.filter({ id: `b${r * 1234}` }).all()],
  ["filter by indexed field, page of 20", () => Book.query.filter({ genre: "g3" }).limit(20).all()],
  [
    "ordered page from a range",
    () => Book.query.filter({ pages__gte: 1500 }).orderBy("pages").limit(20).all(),
  ],
  [
    "value and range, ordered page",
    () =>
      Book.query.filter({ genre: "g7", pages__gte: 1900, pages__lt: 1950 }).orderBy("-pages").limit(10).all(),
  ],
  [
    "value and range, unordered page",
    () => Book.query.filter({ genre: "g3", pages__gte: 1980 }).limit(10).all(),
  ],
  ["range, unordered page of 20", () => Book.query.filter({ pages__gte: 1500 }).limit(20).all()],
  ["value, ordered page of 10", () => Book.query.filter({ genre: "g11" }).orderBy("-pages").limit(10).all()],
  ["count all", () => Book.query.count()],
  ["count one value", () => Book.query.filter({ genre: "g5" }).count()],
  [
    "relationship filter, page of 20",
    (r) =>
      Book.query
        .filter({ author: `Author:a${r}` })
        .limit(20)
        .all(),
  ],
  ["related field filter, count", (r) => Book.query.filter({ author__name: `a${r + 10}` }).count()],
  [
    "__in of 5000 keys",
    (r) => Book.query.filter({ id__in: Array.from({ length: 5000 }, (_, i) => `b${i * 97 + r}`) }).all(),
  ],
  [
    "__in of 3 values and a range, page of 50",
    () =>
      Book.query
        .filter({ genre__in: ["g1", "g2", "g3"], pages__gte: 1990 })
        .limit(50)
        .all(),
  ],
];

type SlowEntry = [number, number, number, string[]];
const isScript = (args: readonly string[]): boolean => /^(EVALSHA|EVAL|FCALL)$/i.test(args[0] ?? "");

/** The server's main-thread CPU time in microseconds (user + system, INFO cpu). */
async function cpu(admin: Redis): Promise<number> {
  const info = await admin.info("cpu");
  const read = (name: string): number => Number(info.match(new RegExp(`${name}:([\\d.]+)`))?.[1] ?? 0);
  return Math.round((read("used_cpu_user_main_thread") + read("used_cpu_sys_main_thread")) * 1e6);
}

interface Measure {
  /** Longest script of the run, wall time from the slow log (µs). */
  readonly wall: number;
  /** Main-thread CPU of each script the query ran (µs). */
  readonly scripts: number[];
}

/**
 * A client whose script calls are each bracketed by INFO cpu on `admin`, so every script's own
 * server CPU is known (this bench is the only client of its private server).
 */
function measuredClient(port: number, admin: Redis, overhead: () => number, into: () => number[]): Redis {
  const client = new Redis(port, "127.0.0.1");
  const original = client.callBuffer.bind(client) as (...args: unknown[]) => Promise<unknown>;
  (client as unknown as { callBuffer: (...args: unknown[]) => Promise<unknown> }).callBuffer = async (
    ...args: unknown[]
  ) => {
    if (!/^(EVALSHA|EVAL)$/i.test(String(args[0]))) return original(...args);
    const before = await cpu(admin);
    try {
      return await original(...args);
    } finally {
      into().push(Math.max(0, (await cpu(admin)) - before - overhead()));
    }
  };
  return client;
}

/**
 * Runs each query five times and reports per query: the scripts it ran, the server's main-thread
 * CPU of its costliest script (INFO cpu read just before and after each script: what the script
 * cost Redis, whatever else the machine runs) and the longest script's wall time in the slow log
 * (which adds the time the server waited for a core on a loaded machine); the smallest of the
 * five runs, least disturbed by other processes. Restores the 1 ms threshold afterwards.
 */
export async function queries(port: number, admin: Redis): Promise<void> {
  let overhead = 0;
  let current: number[] = [];
  const client = measuredClient(
    port,
    admin,
    () => overhead,
    () => current,
  );
  await connect(client);
  // What the measuring costs by itself: two INFO cpu in a row.
  const idle: number[] = [];
  for (let i = 0; i < 20; i++) {
    const before = await cpu(admin);
    idle.push((await cpu(admin)) - before);
  }
  overhead = Math.min(...idle);
  await admin.config("SET", "slowlog-log-slower-than", "0");
  const lines: string[] = [];
  let worst = 0;
  for (const [label, query] of QUERIES) {
    const runs: Measure[] = [];
    for (let round = 0; round < 5; round++) {
      await admin.call("SLOWLOG", "RESET");
      current = [];
      await query(round);
      const log = (await admin.call("SLOWLOG", "GET", "-1")) as SlowEntry[];
      runs.push({
        wall: Math.max(0, ...log.filter((e) => isScript(e[3])).map((e) => e[2])),
        scripts: current,
      });
    }
    const costliest = Math.min(...runs.map((m) => Math.max(0, ...m.scripts)));
    worst = Math.max(worst, costliest);
    const ms = (us: number): string => `${(us / 1000).toFixed(2)} ms`;
    const walls = runs.map((m) => m.wall);
    lines.push(
      `| ${label} | ${runs[0]?.scripts.length ?? 0} | ${ms(costliest)} | ${ms(Math.min(...walls))} | ${ms(Math.max(...walls))} |`,
    );
  }
  await admin.config("SET", "slowlog-log-slower-than", "1000");
  await disconnect();
  client.disconnect();
  console.log(
    `| query | scripts | server CPU of the costliest script (best of 5) | longest script, wall (best of 5) | wall (worst of 5) |\n|---|---|---|---|---|`,
  );
  console.log(lines.join("\n"));
  console.log(`costliest script of any query (server CPU, best of 5 runs): ${(worst / 1000).toFixed(2)} ms`);
}

/** The slowest script and the slowest other command in the slow log (all over 1 ms). */
export async function slowest(admin: Redis): Promise<void> {
  const log = (await admin.call("SLOWLOG", "GET", "100000")) as [number, number, number, string[]][];
  const isScript = (args: string[]): boolean => /^(EVALSHA|EVAL|FCALL)$/i.test(args[0] ?? "");
  const max = (entries: typeof log): string => {
    const top = entries.reduce<(typeof log)[number] | undefined>(
      (a, b) => (a === undefined || b[2] > a[2] ? b : a),
      undefined,
    );
    return top === undefined
      ? "none over 1 ms"
      : `${(top[2] / 1000).toFixed(2)} ms (${top[3].slice(0, 4).join(" ").slice(0, 80)})`;
  };
  const scripts = log.filter((e) => isScript(e[3]));
  console.log(`slow log: ${log.length} commands over 1 ms, ${scripts.length} of them scripts`);
  console.log(`slowest script: ${max(scripts)}`);
  console.log(`slowest other command: ${max(log.filter((e) => !isScript(e[3])))}`);
  const stats = await admin.info("commandstats");
  for (const name of [
    "evalsha",
    "eval",
    "scan",
    "sscan",
    "zscan",
    "smismember",
    "zmscore",
    "hgetall",
    "smembers",
    "zrange",
  ]) {
    const line = stats.match(new RegExp(`cmdstat_${name}:calls=(\\d+),usec=(\\d+),usec_per_call=([\\d.]+)`));
    if (line) console.log(`  ${name}: ${line[1]} calls, ${line[3]} µs per call`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2]);
  const admin = new Redis(port, "127.0.0.1");
  await slowest(admin);
  await queries(port, admin);
  admin.disconnect();
}
