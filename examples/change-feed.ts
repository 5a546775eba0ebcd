/**
 * The change feed (`{ changes: … }`, `Model.changes`): every committed create, update and delete
 * of a model in a Redis stream, replayed by id or read by a consumer group that resumes after a
 * restart without losing an event.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/change-feed.ts
 *
 * It deletes every instance of its model (CfOrder), and the model's stream, at the end.
 */
import {
  connect,
  disconnect,
  getConnection,
  IndexedField,
  IntField,
  KeyField,
  Model,
  type ChangeEvent,
} from "../src/index.js";

class CfOrder extends Model(
  "CfOrder",
  { number: KeyField({ type: "int" }), status: IndexedField(), items: IntField({ default: 0 }) },
  { changes: { maxLen: 1000 } },
) {}

const line = (event: ChangeEvent): string =>
  `${event.op} ${event.key}${event.previousKey ? ` (was ${event.previousKey})` : ""} ` +
  `${JSON.stringify(event.values)}`;

async function main(): Promise<void> {
  console.log("stream key:", CfOrder.changes.key);

  const order = await CfOrder.create({ number: 1, status: "new" });
  await order.atomicIncrement("items", 3); // computed in Redis, recorded with the new sum
  order.status = "paid";
  await order.save(); // only the changed field is written, and recorded
  order.number = 2; // a key change: the event names the previous key
  await order.save();
  await order.delete();

  // Replay without a group: the whole stream, then what followed an id.
  const all = await CfOrder.changes.read();
  for (const event of all) console.log("  read:", line(event));
  const afterFirst = await CfOrder.changes.read({ after: all[0]?.id ?? "0-0" });
  console.log("events after the first:", afterFirst.length);

  // A consumer group. The first consumer takes two events and stops without acknowledging the
  // second (as a crash would): restarted under the same name, it gets that event again first.
  let crashed = CfOrder.changes.consume({ group: "audit", consumer: "worker-1", count: 1, blockMs: 100 });
  for await (const change of crashed) {
    console.log("  worker-1 got:", line(change));
    if (change.op === "create") await change.ack();
    else break; // leaving the loop closes the consumer's connection; the event stays pending
  }
  const controller = new AbortController();
  crashed = CfOrder.changes.consume({
    group: "audit",
    consumer: "worker-1",
    blockMs: 100,
    signal: controller.signal,
  });
  for await (const change of crashed) {
    console.log("  worker-1 after restart:", line(change));
    await change.ack();
    if (change.op === "delete") controller.abort(); // the last event written above
  }
}

await connect();
try {
  await main();
} finally {
  await CfOrder.deleteAll();
  // The stream outlives the instances (it is history): this example removes its own.
  await getConnection().del(CfOrder.changes.key);
  await disconnect();
}
