/**
 * A separate process that writes a sharded model while another process reshards it: its own
 * popoto connection loads one instance (so it holds the layout of before the move, as a running
 * application would), says ready, waits for go, then runs a fixed script of creates, updates and
 * deletes on its own share of the ids, one after another. It finds out about the move only from
 * Redis (the `$Retired` guards its writes meet). It says "started" after 10 steps and keeps
 * writing until the parent sets `reshard:<run>:stop` (at most `limit` steps), so its writes begin
 * before the move and end after it. Prints the final state it expects of every id it touched as
 * one JSON line. The model is reshard.test.ts's (test/support/reshard-models.ts).
 *
 * Usage: node --import tsx test/support/reshard-writer-worker.ts <redis url, or cluster:<url>,<url>…> <run id> <index> <of> <limit>
 */
import { disconnect } from "../../src/index.js";
import { RsItem } from "./reshard-models.js";
import { connectWorker } from "./worker-connect.js";

const [url = "", run = "", index = "0", of = "1", limit = "0"] = process.argv.slice(2);

/** What the parent compares against: an id's score and kind, or null once deleted. */
type Expected = Record<string, { score: number; kind: string } | null>;

const signal = await connectWorker(url);
const me = Number(index);
const workers = Number(of);
// Seeded ids i0… i1999; this worker touches only those with i % workers === me.
const mine = Array.from({ length: 2000 }, (_, i) => i).filter((i) => i % workers === me);
await RsItem.load({ id: `i${mine[0]}` });
await signal.rpush(`reshard:${run}:ready`, String(me));
await signal.blpop(`reshard:${run}:go:${me}`, 60);

const expected: Expected = {};
for (let step = 0; step < Number(limit); step++) {
  if (step === 10) await signal.rpush(`reshard:${run}:started`, String(me));
  if (step > 10 && (await signal.exists(`reshard:${run}:stop`)) === 1) break;
  const i = mine[(step * 7) % mine.length] as number;
  const id = `i${i}`;
  if (step % 3 === 0) {
    const fresh = `w${me}n${step}`;
    await RsItem.create({ id: fresh, score: step, kind: `w${me}`, email: `w${me}n${step}@x`, parent: null });
    expected[fresh] = { score: step, kind: `w${me}` };
  } else if (expected[id] !== null) {
    const item = await RsItem.load({ id });
    if (item === null) throw new Error(`worker ${me}: ${id} vanished during the move`);
    if (step % 3 === 1) {
      item.score = 100_000 + step;
      await item.save();
      expected[id] = { score: item.score, kind: item.kind };
    } else {
      await item.delete();
      expected[id] = null;
    }
  }
}
process.stdout.write(`${JSON.stringify(expected)}\n`);
await signal.quit();
await disconnect();
