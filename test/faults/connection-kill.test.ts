/**
 * Fault: popoto's connection is killed by the server (CLIENT KILL from a second client) while a
 * workload of creates, updates, key moves, increments and deletes runs. Every write is applied
 * entirely or not at all (indexes match hashes, hashes are whole, every instance is in a state
 * its writes explain), the client reconnects by itself, and later operations succeed.
 * Runs against a redis-server of its own.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { connect, disconnect, getConnection } from "../../src/index.js";
import { Book, runWorkload, seed, verify } from "../support/fault-workload.js";
import { sleep } from "../support/inspect.js";
import { usePrivateServer } from "../support/redis-server.js";

const server = usePrivateServer();
let admin: Redis;

beforeAll(async () => {
  admin = server.current.client();
  await connect({ url: server.current.url(), maxReconnectAttempts: 50 });
});

beforeEach(async () => {
  await admin.flushall();
});

afterAll(async () => {
  await disconnect();
});

/** Kills every normal client but the admin `times` times, `every` ms apart; returns how many it killed. */
async function killLoop(times: number, every: number): Promise<number> {
  let killed = 0;
  for (let i = 0; i < times; i++) {
    await sleep(every / 2 + Math.random() * every);
    killed += Number(await admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"));
  }
  return killed;
}

describe("connection killed in the middle of a workload", () => {
  it("applies every write entirely or not at all, and reconnects by itself", async () => {
    await seed();
    let stop = false;
    // A write whose reply the kill lost is re-sent by ioredis and may count twice; those effects are
    // pinned down (as bugs) in lost-reply.test.ts, and tolerated here so this test checks atomicity.
    // Runs until the kills are over and enough work was done, however slow the machine is.
    const workload = runWorkload({
      workers: 6,
      seed: 11,
      done: (operations) => stop && operations > 200,
      tolerateLostReplies: true,
    });
    const killed = await killLoop(8, 120);
    stop = true;
    const result = await workload;

    expect(killed, "CLIENT KILL found popoto's connection").toBeGreaterThanOrEqual(3);
    expect(result.operations).toBeGreaterThan(200);
    // the client reconnected by itself: a later write and query succeed
    await Book.create({ title: "after", code: "after", author: null, tags: [], pages: 1, note: null });
    expect(await Book.query.filter({ title: "after" }).count()).toBe(1);

    const check = await verify(result);
    expect(result.stats.unexpected, JSON.stringify(result.stats.errorKinds)).toEqual([]);
    expect(check.indexProblems).toEqual([]);
    expect(check.incompleteHashes).toEqual([]);
    expect(result.stats.violations).toEqual([]);
    expect(check.stateProblems).toEqual([]);
  }, 20_000);

  it("killing the connection by its id between calls is invisible to the caller", async () => {
    await seed();
    for (let i = 0; i < 5; i++) {
      const id = (await getConnection().call("CLIENT", "ID")) as number;
      await admin.call("CLIENT", "KILL", "ID", String(id));
      await Book.create({
        title: `k${i}`,
        code: `k${i}`,
        author: "Author:Tolkien",
        tags: [],
        pages: i,
        note: null,
      });
      expect(await Book.query.filter({ author: "Author:Tolkien" }).count()).toBe(i + 1);
    }
    expect((await verify(undefined)).indexProblems).toEqual([]);
  });
});
