/**
 * A separate process for contention tests: its own popoto connection loads the counter, says
 * ready, waits for go, then runs `count` atomicIncrement calls at once. Prints how many failed
 * (and the first error) as one JSON line. The model matches contention.test.ts.
 *
 * Usage: node --import tsx test/support/contention-worker.ts <redis url, or cluster:<url>,<url>…> <run id> <count>
 */
import { disconnect, IntField, KeyField, Model, SortedField } from "../../src/index.js";
import { connectWorker } from "./worker-connect.js";

const [url = "", run = "", count = "0"] = process.argv.slice(2);

class Counter extends Model("Counter", {
  name: KeyField(),
  hits: SortedField({ type: "int" }),
  plain: IntField({ default: 0 }),
}) {}

const signal = await connectWorker(url);
const counter = await Counter.load({ name: "c" });
await signal.rpush(`contention:${run}:ready`, "1");
await signal.blpop(`contention:${run}:go`, 30);
const results = await Promise.allSettled(
  Array.from({ length: Number(count) }, (_, i) =>
    i % 2 === 0 ? counter!.atomicIncrement("hits", 1) : counter!.atomicIncrement("plain", 2),
  ),
);
const failed = results.filter((r) => r.status === "rejected");
process.stdout.write(
  `${JSON.stringify({ failed: failed.length, first: failed[0] ? String((failed[0] as PromiseRejectedResult).reason) : null })}\n`,
);
await signal.quit();
await disconnect();
