/**
 * Pub/sub: Publisher and Subscriber (msgpack on a channel, as Python Popoto sends it), read with a
 * handler or with `for await`, and model change events (`{ events: true }`, `Model.subscribe()`).
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/pubsub.ts
 *
 * It deletes every instance of its model (PsOrder) at the end.
 */
import {
  connect,
  disconnect,
  IndexedField,
  KeyField,
  Model,
  Publisher,
  Subscriber,
  type ModelEvent,
} from "../src/index.js";

class PsOrder extends Model(
  "PsOrder",
  { number: KeyField({ type: "int" }), status: IndexedField() },
  { events: true },
) {}

interface News {
  readonly headline: string;
  readonly tags: readonly string[];
}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);

/** Waits until `check()` holds (messages arrive asynchronously), for at most a second. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function main(): Promise<void> {
  // A subscriber with a handler, on its own connection.
  const received: News[] = [];
  const news = new Subscriber<News>(["ps-news"], (channel, data) => {
    console.log(`  handler got on ${channel}:`, data);
    received.push(data);
  });
  await news.ready; // SUBSCRIBE confirmed: messages published from now on arrive

  const publisher = new Publisher<News>("ps-news");
  show("publish() reached", await publisher.publish({ headline: "Redis 8 released", tags: ["redis"] }));
  await publisher.publish(); // no data: sends the last message again (Popoto's republish)
  await until(() => received.length === 2);
  await news.close();

  // A subscriber read with `for await` (no handler); breaking out of the loop closes it.
  const alerts = new Subscriber<{ level: string }>("ps-alerts");
  await alerts.ready;
  const alertPublisher = new Publisher<{ level: string }>("ps-alerts");
  for (const level of ["info", "warn", "stop"]) await alertPublisher.publish({ level });
  for await (const { channel, data } of alerts) {
    console.log(`  for await got on ${channel}:`, data);
    if (data.level === "stop") break;
  }

  // Model change events: after each committed save or delete, { model, key, op, fields } is
  // published on PsOrder.eventsChannel.
  show("PsOrder.eventsChannel", PsOrder.eventsChannel);
  const events: ModelEvent[] = [];
  const changes = PsOrder.subscribe((event) => {
    events.push(event);
  });
  await changes.ready;
  const order = await PsOrder.create({ number: 1, status: "new" });
  order.status = "paid";
  await order.save({ fields: ["status"] });
  order.number = 2; // a key change moves the instance: the event names the previous key
  await order.save();
  await order.delete();
  await until(() => events.length === 4);
  await changes.close();
  for (const event of events) console.log(`  event: ${JSON.stringify(event)}`);
}

await connect();
try {
  await main();
} finally {
  await PsOrder.deleteAll();
  await disconnect();
}
