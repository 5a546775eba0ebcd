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

/**
 * Runs each query five times with the slow log catching every command, and reports per query the
 * longest script of each run: the smallest of the five (least disturbed by other processes on a
 * shared machine) and the largest. Restores the 1 ms threshold afterwards.
 */
export async function queries(url: string, admin: Redis): Promise<void> {
  await connect(url);
  await admin.config("SET", "slowlog-log-slower-than", "0");
  const lines: string[] = [];
  let worst = 0;
  for (const [label, query] of QUERIES) {
    const runs: number[] = [];
    for (let round = 0; round < 5; round++) {
      await admin.call("SLOWLOG", "RESET");
      await query(round);
      const log = (await admin.call("SLOWLOG", "GET", "-1")) as SlowEntry[];
      runs.push(Math.max(0, ...log.filter((e) => isScript(e[3])).map((e) => e[2])));
    }
    const best = Math.min(...runs);
    worst = Math.max(worst, best);
    lines.push(`| ${label} | ${(best / 1000).toFixed(2)} ms | ${(Math.max(...runs) / 1000).toFixed(2)} ms |`);
  }
  await admin.config("SET", "slowlog-log-slower-than", "1000");
  await disconnect();
  console.log(`| query | longest script (best of 5) | longest script (worst of 5) |\n|---|---|---|`);
  console.log(lines.join("\n"));
  console.log(`longest script of a query, best of 5 runs: ${(worst / 1000).toFixed(2)} ms`);
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
  await queries(`redis://127.0.0.1:${port}/0`, admin);
  admin.disconnect();
}
