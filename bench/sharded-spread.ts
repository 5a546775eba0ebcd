/**
 * How evenly a sharded model spreads over a cluster: 3,000 creates of one model with `shards: 24`
 * and, for comparison, of the same model unsharded, on a private cluster of 3 masters (spare
 * loopback ports, stopped by pid at the end), then each master's share of the model's keys
 * (DBSIZE) and of the write scripts it ran (INFO commandstats: evalsha + eval calls), and the
 * round trips and server time of fan-out queries. Counts, not durations, decide the spread.
 * Run: `npx tsx bench/sharded-spread.ts [creates]`. Results: docs/benchmarks.md, "Sharded models".
 */
import { connect, disconnect, IndexedField, KeyField, Model, SortedField } from "../src/index.js";
import { startCluster } from "../test/support/redis-cluster.js";

const creates = Number(process.argv[2] ?? 3000);
const fields = () => ({ id: KeyField(), kind: IndexedField(), at: SortedField({ type: "int" }) });
class FlatEvent extends Model("FlatEvent", fields()) {}
class ShardEvent extends Model("ShardEvent", fields(), { shards: 24 }) {}

const cluster = await startCluster();
try {
  await connect({ cluster: cluster.urls });
  const masters = await cluster.masters();
  const stats = async () =>
    Promise.all(
      masters.map(async (port) => {
        const client = cluster.client(port);
        const text = await client.info("commandstats");
        const calls = (name: string): number =>
          Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(text)?.[1] ?? 0);
        const cpu = (name: string): number =>
          Number(new RegExp(`cmdstat_${name}:calls=\\d+,usec=(\\d+)`).exec(text)?.[1] ?? 0);
        return {
          port,
          keys: await client.dbsize(),
          scripts: calls("evalsha") + calls("eval"),
          scriptUsec: cpu("evalsha") + cpu("eval"),
        };
      }),
    );
  const reset = () => Promise.all(masters.map((port) => cluster.client(port).call("CONFIG", "RESETSTAT")));
  const flush = () => Promise.all(masters.map((port) => cluster.client(port).flushall()));

  const run = async (label: string, Event: typeof FlatEvent) => {
    await flush();
    await reset();
    for (let i = 0; i < creates; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, creates - i) }, (_, j) =>
          Event.create({ id: `e${i + j}`, kind: `k${(i + j) % 10}`, at: (i + j) % 997 }),
        ),
      );
    }
    const written = await stats();
    const totalKeys = written.reduce((a, s) => a + s.keys, 0);
    const totalScripts = written.reduce((a, s) => a + s.scripts, 0);
    const busiest = {
      keys: Math.max(...written.map((s) => s.keys)) / totalKeys,
      scripts: Math.max(...written.map((s) => s.scripts)) / totalScripts,
    };
    // Queries: server time per master for a filter, a count and an ordered page.
    await reset();
    const queries = {
      filter: () => Event.query.filter({ kind: "k3" }),
      count: () => Event.query.filter({ kind: "k3" }).count(),
      orderBy: () => Event.query.orderBy("-at").limit(20),
    };
    const queryCost: Record<string, { scripts: number; maxMasterUsec: number; totalUsec: number }> = {};
    for (const [name, query] of Object.entries(queries)) {
      await reset();
      for (let r = 0; r < 20; r++) await query();
      const s = await stats();
      queryCost[name] = {
        scripts: s.reduce((a, x) => a + x.scripts, 0) / 20,
        maxMasterUsec: Math.max(...s.map((x) => x.scriptUsec)) / 20,
        totalUsec: s.reduce((a, x) => a + x.scriptUsec, 0) / 20,
      };
    }
    console.log(
      JSON.stringify({
        model: label,
        creates,
        perMaster: written.map(({ keys, scripts, scriptUsec }) => ({ keys, scripts, scriptUsec })),
        busiestShare: busiest,
        queryCost,
      }),
    );
  };
  await run("unsharded", FlatEvent);
  await run("shards: 24", ShardEvent as unknown as typeof FlatEvent);
} finally {
  await disconnect();
  await cluster.stop();
}
