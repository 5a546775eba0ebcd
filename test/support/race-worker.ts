/**
 * A separate process for race tests: its own popoto connection (its own ioredis client) creates
 * one instance as soon as the parent says go, and prints the outcome as one JSON line.
 *
 * Usage: node --import tsx test/support/race-worker.ts <redis url, or cluster:<url>,<url>…> <run id> <name> <email>
 */
import { disconnect, KeyField, Model, UniqueKeyField } from "../../src/index.js";
import { connectWorker } from "./worker-connect.js";

const [url = "", run = "", name = "", email = ""] = process.argv.slice(2);

class Racer extends Model("Racer", { name: KeyField(), email: UniqueKeyField() }) {}

const signal = await connectWorker(url);
await signal.rpush(`race:${run}:ready`, name);
await signal.blpop(`race:${run}:go`, 10);
let outcome: Record<string, unknown>;
try {
  const saved = await Racer.create({ name, email });
  outcome = { name, ok: true, key: saved.redisKey };
} catch (error) {
  const e = error as { code?: string; holder?: string; message?: string };
  outcome = { name, ok: false, code: e.code, holder: e.holder, message: e.message };
}
process.stdout.write(`${JSON.stringify(outcome)}\n`);
await signal.quit();
await disconnect();
