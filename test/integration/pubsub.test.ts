import { afterEach, describe, expect, it, vi } from "vitest";
import type { Redis } from "ioredis";
import { getConnection, isPopotoError, Publisher, Subscriber } from "../../src/index.js";
import { masters } from "../../src/connection/masters.js";
import type { SubscriberMessage } from "../../src/index.js";
import { encodeMessage } from "../../src/encoding/codec/encode.js";
import { ON_CLUSTER, raw, TEST_DB, useRedis } from "../support/redis.js";

useRedis();

/** Every subscriber and raw subscribing client a test opens, closed after it. */
const opened: { close(): Promise<void> }[] = [];
const rawSubscribers: Redis[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((sub) => sub.close()));
  await Promise.all(rawSubscribers.splice(0).map((client) => client.quit()));
  vi.restoreAllMocks();
});

/** Collects what a handler or onError receives; `next(n)` resolves once `n` items have arrived. */
function inbox<T>(): { items: T[]; push: (item: T) => void; next: (count: number) => Promise<T[]> } {
  const items: T[] = [];
  let wake: (() => void)[] = [];
  return {
    items,
    push: (item) => {
      items.push(item);
      const waiting = wake;
      wake = [];
      for (const resolve of waiting) resolve();
    },
    next: async (count) => {
      while (items.length < count) await new Promise<void>((resolve) => wake.push(resolve));
      return items.slice(0, count);
    },
  };
}

type Received<T> = SubscriberMessage<T>;

/** A ready subscriber whose handler and onError feed two inboxes. */
async function listen<T>(
  channels: string | readonly string[],
  handle?: (channel: string, data: T) => void | Promise<void>,
): Promise<{
  sub: Subscriber<T>;
  messages: ReturnType<typeof inbox<Received<T>>>;
  errors: ReturnType<typeof inbox<unknown>>;
}> {
  const messages = inbox<Received<T>>();
  const errors = inbox<unknown>();
  const sub = new Subscriber<T>(
    channels,
    async (channel, data) => {
      await handle?.(channel, data);
      messages.push({ channel, data });
    },
    { onError: errors.push },
  );
  opened.push(sub);
  await sub.ready;
  return { sub, messages, errors };
}

/** A raw ioredis client subscribed to `channel`, resolving each message's bytes as hex. */
async function rawListener(channel: string): Promise<ReturnType<typeof inbox<string>>> {
  const hex = inbox<string>();
  const client = raw.duplicate();
  rawSubscribers.push(client);
  client.on("messageBuffer", (_channel: Buffer, message: Buffer) => hex.push(message.toString("hex")));
  await client.subscribe(channel);
  return hex;
}

/** The subscriber connections on the test database (CLIENT LIST `sub=` counts channels). */
async function subscriberClients(): Promise<string[]> {
  const list = (await raw.client("LIST")) as string;
  return list
    .split("\n")
    .filter((line) => line.includes(` db=${TEST_DB} `) && /\bsub=[1-9]/.test(line))
    .map((line) => /\bid=(\d+)/.exec(line)![1]!);
}

describe("pub/sub", () => {
  it("delivers a published dict, list and Date decoded", async () => {
    type Payload = Record<string, unknown> | unknown[] | Date;
    const { messages } = await listen<Payload>("Events");
    const events = new Publisher<Payload>("Events");
    const when = new Date("2024-05-06T07:08:09.123Z");
    expect(await events.publish({ title: "Dune", pages: 412, tags: ["sf"], at: when, big: 2 ** 40 })).toBe(1);
    await events.publish([1, "two", null, true, 2.5]);
    await events.publish(when);
    const got = await messages.next(3);
    expect(got).toEqual([
      { channel: "Events", data: { title: "Dune", pages: 412, tags: ["sf"], at: when, big: 2 ** 40 } },
      { channel: "Events", data: [1, "two", null, true, 2.5] },
      { channel: "Events", data: when },
    ]);
    expect(got[2]!.data).toBeInstanceOf(Date);
  });

  it("sends exactly encodeMessage(data), the bytes Python Popoto's msgpack.packb writes", async () => {
    const hex = await rawListener("Raw");
    const events = new Publisher("Raw");
    const data = { id: 1, name: "Ann", at: new Date("2024-01-02T03:04:05Z") };
    await events.publish({ id: 1 });
    await events.publish(data);
    expect(await hex.next(2)).toEqual(["81a26964" + "01", Buffer.from(encodeMessage(data)).toString("hex")]);
  });

  it("subscribes to two channels and publishes on another channel than its own", async () => {
    const { messages } = await listen<number>(["first", "second"]);
    const events = new Publisher<number>("first");
    expect(await events.publish(1)).toBe(1);
    expect(await events.publish(2, "second")).toBe(1);
    expect(await events.publish(3, "third")).toBe(0);
    expect(await events.publish(4)).toBe(1);
    expect(await messages.next(3)).toEqual([
      { channel: "first", data: 1 },
      { channel: "second", data: 2 },
      { channel: "first", data: 4 },
    ]);
    expect(events.channel).toBe("first");
  });

  it("returns the number of receivers", async () => {
    const events = new Publisher("Counted");
    expect(await events.publish("nobody")).toBe(0);
    await listen("Counted");
    await listen("Counted");
    expect(await events.publish("both")).toBe(2);
  });

  it("republishes the last data, as sent, when publish() has no data", async () => {
    const hex = await rawListener("Again");
    const events = new Publisher<{ n: number }>("Again");
    const data = { n: 1 };
    await events.publish(data);
    data.n = 2; // the bytes sent are kept, not the object
    expect(await events.publish()).toBe(1);
    await events.publish(undefined, "Elsewhere");
    const [first, second] = await hex.next(2);
    expect(second).toBe(first);
    expect(first).toBe(Buffer.from(encodeMessage({ n: 1 })).toString("hex"));
  });

  it("refuses a missing channel and a republish with nothing published", async () => {
    expect(() => new Publisher("")).toThrow(/missing channel to publish to/);
    expect(() => new Subscriber([], () => undefined)).toThrow(/missing channel to subscribe to/);
    const events = new Publisher("Empty");
    await expect(events.publish()).rejects.toThrow(/nothing to republish on "Empty"/);
    await expect(events.publish(1, "")).rejects.toThrow(/missing channel to publish to/);
    const error = await events.publish(() => 1).catch((e: unknown) => e);
    expect(isPopotoError(error, "VALIDATION")).toBe(true);
    expect((error as Error).message).toMatch(/cannot publish on "Empty": a function cannot be stored/);
  });

  it("skips an undecodable message, reports it with its channel, and keeps listening", async () => {
    const { messages, errors } = await listen<string>("Broken");
    await raw.publish("Broken", Buffer.from([0xc1]));
    await new Publisher<string>("Broken").publish("fine");
    expect(await messages.next(1)).toEqual([{ channel: "Broken", data: "fine" }]);
    const [error] = await errors.next(1);
    expect(isPopotoError(error, "CORRUPT_DATA")).toBe(true);
    expect((error as Error).message).toMatch(/skipped a message on channel "Broken" that cannot be decoded/);
    expect(messages.items).toHaveLength(1);
  });

  it("warns once per undecodable message by default", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const received = inbox<string>();
    const sub = new Subscriber<string>("Warned", (_channel, data) => received.push(data));
    opened.push(sub);
    await sub.ready;
    await raw.publish("Warned", Buffer.from([0xc1]));
    await raw.publish("Warned", Buffer.from([0x92, 0x01])); // an array cut short
    await new Publisher<string>("Warned").publish("after");
    await received.next(1);
    expect(warn).toHaveBeenCalledTimes(2);
    expect(String(warn.mock.calls[0]![0])).toMatch(/channel "Warned"/);
  });

  it("reports a handler's exception or rejection with the channel, and keeps delivering", async () => {
    const failures = new Map<number, Error>([
      [1, new Error("sync boom")],
      [2, new Error("async boom")],
    ]);
    const { messages, errors } = await listen<number>("Fragile", async (_channel, n) => {
      if (n === 1) throw failures.get(1)!;
      if (n === 2) await Promise.reject(failures.get(2)!);
    });
    const events = new Publisher<number>("Fragile");
    for (const n of [1, 2, 3]) await events.publish(n);
    expect(await messages.next(1)).toEqual([{ channel: "Fragile", data: 3 }]);
    const reported = await errors.next(2);
    expect(reported.map((e) => (e as Error).message)).toEqual([
      expect.stringMatching(/handler failed on channel "Fragile": sync boom/),
      expect.stringMatching(/handler failed on channel "Fragile": async boom/),
    ]);
    expect(reported.map((e) => (e as Error).cause)).toEqual([failures.get(1), failures.get(2)]);
    expect(reported.every((e) => isPopotoError(e))).toBe(true);
  });

  it("runs an async handler one message at a time, in order", async () => {
    const log: string[] = [];
    const { messages } = await listen<number>("Ordered", async (_channel, n) => {
      log.push(`start ${n}`);
      await new Promise((resolve) => setTimeout(resolve, n === 1 ? 20 : 0));
      log.push(`end ${n}`);
    });
    const events = new Publisher<number>("Ordered");
    await events.publish(1);
    await events.publish(2);
    await messages.next(2);
    // In the order published, on a cluster too (one publisher, one channel: one node sends them).
    expect(messages.items.map((m) => m.data)).toEqual([1, 2]);
    expect(log).toEqual(["start 1", "end 1", "start 2", "end 2"]);
  });

  it("sends a channel's messages through one node, so they arrive in the order sent", async () => {
    // On a cluster a PUBLISH may enter at any node and reaches the others over the cluster bus,
    // which keeps order per link only: the publisher must send one channel's messages through one
    // node (the master owning the channel's slot). Spies count the calls and let them through.
    const client = getConnection();
    const nodes = masters(client);
    const viaNode = nodes.map((node) => vi.spyOn(node, "publish"));
    const viaClient = nodes.includes(client as Redis) ? undefined : vi.spyOn(client, "publish");
    const { messages } = await listen<number>("InOrder");
    const events = new Publisher<number>("InOrder");
    const sent = Array.from({ length: 40 }, (_, n) => n);
    for (const n of sent) await events.publish(n);
    expect((await messages.next(sent.length)).map((m) => m.data)).toEqual(sent);
    expect(viaClient?.mock.calls ?? []).toEqual([]);
    const perNode = viaNode.map((spy) => spy.mock.calls.filter(([channel]) => channel === "InOrder").length);
    expect([...perNode].sort((a, b) => b - a)).toEqual([sent.length, ...nodes.slice(1).map(() => 0)]);
    if (ON_CLUSTER) {
      const owner = nodes[perNode.indexOf(sent.length)]!;
      const slot = Number(await raw.cluster("KEYSLOT", "InOrder"));
      const ranges = await owner.cluster("SLOTS");
      const owned = ranges.filter(
        ([from, to, master]) =>
          from <= slot &&
          slot <= to &&
          master?.[0] === owner.options.host &&
          master?.[1] === owner.options.port,
      );
      expect(owned).toHaveLength(1);
    }
  });

  it("close() stops delivery, closes its own connection, and can be called again", async () => {
    const before = await subscriberClients();
    const { sub, messages } = await listen<number>("Closing");
    const added = (await subscriberClients()).filter((id) => !before.includes(id));
    expect(added).toHaveLength(1);
    const events = new Publisher<number>("Closing");
    await events.publish(1);
    await messages.next(1);

    const closing = sub.close();
    expect(sub.close()).toBe(closing);
    await closing;
    await sub.close();
    expect(await subscriberClients()).toEqual(before);
    // Not merely unsubscribed: the duplicated connection itself is gone.
    expect(await raw.client("LIST", "ID", added[0]!)).toBe("");
    expect(await events.publish(2)).toBe(0);
    // A later message on a live subscriber arrives; the closed one still has only the first.
    const { messages: other } = await listen<number>("Closing");
    await events.publish(3);
    await other.next(1);
    expect(messages.items).toEqual([{ channel: "Closing", data: 1 }]);
  });

  it("iterates messages, including those published before iteration began", async () => {
    const sub = new Subscriber<{ n: number }>(["A", "B"]);
    opened.push(sub);
    await sub.ready;
    await new Publisher<{ n: number }>("A").publish({ n: 1 });
    await new Publisher<{ n: number }>("B").publish({ n: 2 });
    const seen: SubscriberMessage<{ n: number }>[] = [];
    const later = new Publisher<{ n: number }>("A");
    for await (const message of sub) {
      seen.push(message);
      if (seen.length === 2) await later.publish({ n: 3 });
      if (seen.length === 3) break; // closes the subscriber
    }
    // Two channels have no order between them on a cluster (PUBLISH is forwarded node to node, and
    // the subscriber hears each channel from the node it subscribed on): the first two in any order.
    const byNumber = (a: SubscriberMessage<{ n: number }>, b: SubscriberMessage<{ n: number }>): number =>
      a.data.n - b.data.n;
    expect(seen.slice(0, 2).sort(byNumber)).toEqual([
      { channel: "A", data: { n: 1 } },
      { channel: "B", data: { n: 2 } },
    ]);
    expect(seen[2]).toEqual({ channel: "A", data: { n: 3 } });
    expect(await later.publish({ n: 4 })).toBe(0);
  });

  it("ends iteration when close() is called while waiting", async () => {
    const sub = new Subscriber<number>("Idle");
    opened.push(sub);
    await sub.ready;
    const iterator = sub[Symbol.asyncIterator]();
    const pending = iterator.next();
    await new Promise((resolve) => setImmediate(resolve)); // let next() start waiting
    await sub.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("feeds both a handler and an iterator", async () => {
    const { sub, messages } = await listen<string>("Both");
    const iterator = sub[Symbol.asyncIterator]();
    await new Publisher<string>("Both").publish("x");
    expect(await iterator.next()).toEqual({ done: false, value: { channel: "Both", data: "x" } });
    expect(await messages.next(1)).toEqual([{ channel: "Both", data: "x" }]);
  });
});
