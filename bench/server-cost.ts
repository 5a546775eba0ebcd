/**
 * Where Redis spends its time per operation, per workload and subject: `INFO commandstats` and the
 * main thread's CPU (`INFO cpu`) before and after each workload, run sequentially by one subject at
 * a time; printed as a markdown table. The command times of a script include the commands it runs,
 * which are listed after it. Exact only on a Redis server that nothing else uses, so it refuses to
 * run when other clients are connected:
 *
 *   redis-server --port 6390 --save "" --appendonly no &
 *   REDIS_URL=redis://127.0.0.1:6390 npx tsx bench/server-cost.ts [--books N --authors N --ops N]
 */
import { Redis } from "ioredis";
import { connect, disconnect, getConnection } from "../src/index.js";
import { baselineSubject } from "./baseline/subject.js";
import { parseConfig } from "./config.js";
import { makeData } from "./data.js";
import { sharing } from "./measure/environment.js";
import { runOps } from "./measure/run-ops.js";
import { serverCpu } from "./measure/server-cpu.js";
import { runSolo } from "./passes/solo.js";
import { popotoSubject } from "./popoto/subject.js";
import { markdownTable } from "./report/table.js";
import { WORKLOADS } from "./workloads/index.js";
import type { WorkloadContext } from "./workloads/workload.js";

/** The harness's own commands. */
const IGNORED = new Set([
  "info",
  "flushdb",
  "ping",
  "select",
  "client|setinfo",
  "script|load",
  "script|exists",
]);

type Stats = Map<string, { calls: number; usec: number }>;

async function commandStats(admin: Redis): Promise<Stats> {
  const stats: Stats = new Map();
  for (const match of (await admin.info("commandstats")).matchAll(
    /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm,
  ))
    stats.set(match[1] ?? "", { calls: Number(match[2]), usec: Number(match[3]) });
  return stats;
}

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2));
  const url = `${config.redisUrl}/${config.db}`;
  const admin = new Redis(url, { lazyConnect: true });
  const baselineClient = new Redis(url, { lazyConnect: true });
  await Promise.all([admin.connect(), baselineClient.connect(), connect(url)]);
  try {
    const others = (await sharing(admin, 3)).otherRedisClients;
    if (others > 0)
      throw new Error(`${others} other clients use this Redis server; run this on a private one`);
    const popotoClient = getConnection();
    if (!(popotoClient instanceof Redis)) throw new Error("needs a standalone Redis");
    const context: WorkloadContext = { data: makeData(config.books, config.authors), config };
    const cpu = serverCpu(admin);
    // Scripts loaded and code warm before anything is counted.
    const warm: WorkloadContext = { data: makeData(300, 10), config: { ...config, ops: 100 } };
    const subjects = [popotoSubject(popotoClient), baselineSubject(baselineClient)];
    for (const subject of subjects)
      await runSolo({ subject, mode: "sequential", context: warm, workloads: WORKLOADS, admin });
    const rows = new Map<string, { name: string; cells: Map<string, string> }>();
    for (const subject of subjects) {
      await admin.flushdb();
      subject.reset();
      for (const workload of WORKLOADS) {
        const plan = workload.plan(context);
        subject.traffic.sent.clear();
        const [stats, cpuBefore] = [await commandStats(admin), await cpu()];
        await runOps(plan.count, 1, (i) => plan.run(subject, i), subject.traffic);
        const [cpuAfter, after] = [await cpu(), await commandStats(admin)];
        if (workload.id === "1") await subject.loadAuthors(context.data.authors);
        const own: string[] = [];
        const inner: string[] = [];
        for (const [name, now] of after) {
          const was = stats.get(name) ?? { calls: 0, usec: 0 };
          const calls = (now.calls - was.calls) / plan.count;
          if (calls === 0 || IGNORED.has(name)) continue;
          const rounded = Math.round(calls * 10) / 10;
          const times = rounded === 1 ? "" : ` ×${Number.isInteger(rounded) ? rounded : rounded.toFixed(1)}`;
          const text = `${name.toUpperCase()}${times} ${((now.usec - was.usec) / plan.count).toFixed(1)}`;
          (subject.traffic.sent.has(name) ? own : inner).push(text);
        }
        const row = rows.get(workload.id) ?? { name: workload.name, cells: new Map<string, string>() };
        row.cells.set(`${subject.name} cpu`, ((cpuAfter - cpuBefore) / plan.count).toFixed(0));
        row.cells.set(
          subject.name,
          own.join(", ") + (inner.length ? `; inside the script: ${inner.join(", ")}` : ""),
        );
        rows.set(workload.id, row);
      }
    }
    console.log(
      markdownTable({
        headers: [
          "#",
          "workload",
          "Redis main thread µs/op popoto / baseline",
          "popoto: command µs/op",
          "baseline: command µs/op",
        ],
        align: ["r", "l", "r", "l", "l"],
        rows: [...rows].map(([id, row]) => [
          id,
          row.name,
          `${row.cells.get("popoto cpu") ?? ""} / ${row.cells.get("baseline cpu") ?? ""}`,
          row.cells.get("popoto") ?? "",
          row.cells.get("baseline") ?? "",
        ]),
      }),
    );
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
