/**
 * A client in its own process for the property tests (test/property): its own popoto connection
 * (its own ioredis client) and its own in-memory copies. Reads one JSON request per stdin line and
 * answers each with one JSON line on stdout, so the parent can run its operations concurrently
 * with its own.
 *
 * Requests: `{ id, op }` (an Op of property-models.ts) or `{ id, reset: true }` (drop every copy).
 * Answers: `{ id, outcome, copy }`, `copy` being the op's slot afterwards (null when empty).
 *
 * Usage: node --import tsx test/support/property-worker.ts <redis url, or cluster:<url>,<url>…>
 */
import { createInterface } from "node:readline";
import { disconnect } from "../../src/index.js";
import { executeOp, Slots, type Op } from "./property-models.js";
import { connectWorker } from "./worker-connect.js";

const [url = ""] = process.argv.slice(2);
// This worker answers on stdin/stdout; it needs no signalling client.
(await connectWorker(url)).disconnect();
const slots = new Slots();

interface Request {
  readonly id: number;
  readonly op?: Op;
  readonly reset?: boolean;
}

const lines = createInterface({ input: process.stdin });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of lines) {
  if (line.trim() === "") continue;
  const request = JSON.parse(line) as Request;
  if (request.reset || !request.op) {
    slots.clear();
    process.stdout.write(`${JSON.stringify({ id: request.id, outcome: { ok: true }, copy: null })}\n`);
    continue;
  }
  // Requests are answered as they finish: the parent may send several before any answer.
  const op = request.op;
  void executeOp(op, slots).then((outcome) => {
    const copy = slots.view(op.model, op.slot) ?? null;
    process.stdout.write(`${JSON.stringify({ id: request.id, outcome, copy })}\n`);
  });
}
await disconnect();
