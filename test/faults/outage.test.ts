/**
 * Fault: Redis is gone for 30 s (killed, then started again on the same port). During the outage
 * every command settles with a ConnectionError (none stays pending) and the status says
 * "reconnecting"; once Redis is back the same client answers every query again without being
 * told, and a Subscriber receives again (it subscribes anew by itself). A first connect() made
 * during an outage waits for Redis when asked to (`waitForServer`). Runs its own redis-server.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  KeyField,
  Model,
  Publisher,
  SortedField,
  Subscriber,
  connect,
  connectionStatus,
  disconnect,
  isPopotoError,
  onConnectionStatus,
  type ConnectionState,
} from "../../src/index.js";
import { sleep } from "../support/inspect.js";
import { startServer, type PrivateServer } from "../support/redis-server.js";

class Book extends Model("Book", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}

let server: PrivateServer | undefined;
const subscribers: Subscriber[] = [];

afterEach(async () => {
  for (const sub of subscribers.splice(0)) await sub.close();
  await disconnect();
  await server?.stop();
  server = undefined;
});

afterAll(async () => {
  await disconnect();
});

/** Resolves once the connection's state is `state` (bounded by the test's own timeout). */
const reach = (state: ConnectionState): Promise<void> =>
  new Promise((resolve) => {
    if (connectionStatus().state === state) return resolve();
    const stop = onConnectionStatus((status) => {
      if (status.state !== state) return;
      stop();
      resolve();
    });
  });

/** Publishes until a subscriber receives (PUBLISH counts receivers); resolves with the count. */
async function publishUntilHeard(channel: string, heard: () => number): Promise<number> {
  const publisher = new Publisher(channel);
  for (let i = 0; heard() === 0; i++) {
    await publisher.publish({ n: i });
    await sleep(200);
  }
  return heard();
}

describe("a 30 s outage", () => {
  it("commands fail (never hang) during it; queries and a subscriber recover after it", async () => {
    server = await startServer();
    await connect(server.url(1));
    await Book.create({ title: "before", pages: 1 });
    const received: unknown[] = [];
    const errors: unknown[] = [];
    const sub = new Subscriber("Outage", (_, data) => void received.push(data), {
      onError: (error) => errors.push(error),
    });
    subscribers.push(sub);
    await sub.ready;
    expect(await publishUntilHeard("Outage", () => received.length)).toBeGreaterThan(0);

    await server.kill();
    const outcomes: string[] = [];
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      try {
        await Book.query.count();
        outcomes.push("answered");
      } catch (error) {
        outcomes.push(isPopotoError(error, "CONNECTION") ? "CONNECTION" : String(error));
      }
      await sleep(1000);
    }
    expect(new Set(outcomes)).toEqual(new Set(["CONNECTION"]));
    expect(connectionStatus().state).toBe("reconnecting");
    expect(connectionStatus().attempts).toBeGreaterThan(10);
    expect(connectionStatus().lastError?.reason).toBe("nothing-listening");

    await server.start();
    await reach("ready");
    // 30 queries in a row, every one answered (the data is gone: the server has no persistence)
    const after: number[] = [];
    for (let i = 0; i < 30; i++) after.push(await Book.query.count());
    expect(after).toEqual(new Array(30).fill(0));
    await Book.create({ title: "after", pages: 2 });
    expect((await Book.query.all()).map((b) => b.title)).toEqual(["after"]);

    received.length = 0;
    expect(await publishUntilHeard("Outage", () => received.length)).toBeGreaterThan(0);
    // the outage was reported to onError once, not once per reconnection attempt
    expect(errors.length).toBe(1);
    expect(isPopotoError(errors[0], "CONNECTION")).toBe(true);
  }, 120_000);
});

describe("a first connect() during an outage", () => {
  it("fails at once by default, naming the failure", async () => {
    server = await startServer();
    await server.kill();
    let error: unknown;
    try {
      await connect(server.url(1));
    } catch (thrown) {
      error = thrown;
    }
    expect(isPopotoError(error, "CONNECTION")).toBe(true);
    expect((error as { reason?: string }).reason).toBe("nothing-listening");
  });

  it("with waitForServer, waits until Redis is up, then works", async () => {
    server = await startServer();
    await server.kill();
    const states: ConnectionState[] = [];
    const stop = onConnectionStatus((status) => states.push(status.state));
    const connecting = connect({ url: server.url(1), waitForServer: true });
    let settled = false;
    void connecting.then(
      () => (settled = true),
      () => (settled = true),
    );
    // retries go on while nothing listens (the status shows it) and connect() stays pending
    while (connectionStatus().attempts < 3) await sleep(100);
    expect(settled).toBe(false);
    expect(connectionStatus().lastError?.reason).toBe("nothing-listening");
    await server.start();
    await connecting;
    stop();
    expect(states).toContain("reconnecting");
    expect(states.at(-1)).toBe("ready");
    await Book.create({ title: "waited", pages: 1 });
    expect(await Book.query.count()).toBe(1);
  }, 60_000);
});
