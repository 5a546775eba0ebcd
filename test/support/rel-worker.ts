/**
 * A separate process for relationship race tests: its own popoto connection loads a Seat (so its
 * copy is stale by the time it writes), says ready, waits for go, then reassigns the seat's guest
 * and saves. Prints the outcome as one JSON line. The models match relationships-reassignment.test.ts.
 *
 * Usage: node --import tsx test/support/rel-worker.ts <redis url, or cluster:<url>,<url>…> <run id> <seat id> <guest key | null>
 */
import { disconnect, Field, KeyField, Model, Relationship, SortedField } from "../../src/index.js";
import { connectWorker } from "./worker-connect.js";

const [url = "", run = "", id = "", guest = ""] = process.argv.slice(2);

class Guest extends Model("Guest", { name: KeyField() }) {}
class Seat extends Model("Seat", {
  id: KeyField(),
  guest: Relationship(Guest),
  row: SortedField({ type: "int" }),
  note: Field({ null: true }),
}) {}

const signal = await connectWorker(url);
let outcome: Record<string, unknown>;
try {
  const seat = await Seat.load({ id });
  await signal.rpush(`relrace:${run}:ready`, guest);
  await signal.blpop(`relrace:${run}:go`, 10);
  if (!seat) throw new Error(`no seat ${id}`);
  seat.guest = guest === "null" ? null : new Guest({ name: guest.slice("Guest:".length) });
  seat.note = `by ${guest}`;
  await seat.save();
  outcome = { guest, ok: true };
} catch (error) {
  const e = error as { code?: string; message?: string };
  outcome = { guest, ok: false, code: e.code, message: e.message };
}
process.stdout.write(`${JSON.stringify(outcome)}\n`);
await signal.quit();
await disconnect();
