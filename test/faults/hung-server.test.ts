/**
 * Fault: a frozen server (SIGSTOP), as a hung VM or a black-holed network looks: the TCP
 * connection stays open and nothing answers. Every command fails with a CommandTimeoutError once
 * the command deadline passes (never a pending promise); a write whose reply timed out may have
 * run, and once the server runs again (SIGCONT) it counts once and the indexes agree. Runs its
 * own redis-server, always continued and killed afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CONNECTION_DEFAULTS,
  CommandTimeoutError,
  KeyField,
  Model,
  SortedField,
  connect,
  connectionStatus,
  disconnect,
} from "../../src/index.js";
import { startServer, type PrivateServer } from "../support/redis-server.js";

class Book extends Model("Book", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}

let server: PrivateServer;

const signal = (name: "SIGSTOP" | "SIGCONT"): void => {
  const pid = server.pid();
  if (pid === undefined) throw new Error("the private redis-server is not running");
  process.kill(pid, name);
};

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  try {
    signal("SIGCONT");
  } catch {
    // already gone
  }
  await disconnect();
  await server.stop();
});

/** The error `action` rejects with (fails the test if it resolves). */
async function rejection(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("a hung server (SIGSTOP)", () => {
  it("reads and writes fail with CommandTimeoutError at the deadline; after SIGCONT the write counted once", async () => {
    await connect({ url: server.url(1), commandTimeout: 1000 });
    await Book.create({ title: "before", pages: 1 });
    signal("SIGSTOP");
    try {
      const read = await rejection(() => Book.query.count());
      expect(read).toBeInstanceOf(CommandTimeoutError);
      expect((read as CommandTimeoutError).code).toBe("CONNECTION");
      expect((read as CommandTimeoutError).reason).toBe("timeout");
      expect((read as CommandTimeoutError).timeoutMs).toBe(1000);
      expect((read as Error).message).toContain("commandTimeout");

      const write = await rejection(() => Book.create({ title: "during", pages: 2 }));
      expect(write).toBeInstanceOf(CommandTimeoutError);
      expect((write as Error).message).toContain("may or may not have run");

      const load = await rejection(() => Book.load({ title: "before" }));
      expect(load).toBeInstanceOf(CommandTimeoutError);
    } finally {
      signal("SIGCONT");
    }
    // the client was never disconnected: it answers again, and the timed-out write ran exactly once
    expect((await Book.load({ title: "before" }))?.pages).toBe(1);
    const titles = (await Book.query.all()).map((b) => b.title).sort();
    expect(titles[0]).toBe("before");
    const report = await Book.checkIndexes();
    expect(report.differences).toEqual([]);
    expect(connectionStatus().state).toBe("ready");
  }, 60_000);

  it("the default deadline is at most 10 s and applies without any option", async () => {
    expect(CONNECTION_DEFAULTS.commandTimeout).toBeLessThanOrEqual(10_000);
    await connect(server.url(1));
    signal("SIGSTOP");
    try {
      const error = await rejection(() => Book.query.count());
      expect(error).toBeInstanceOf(CommandTimeoutError);
      expect((error as CommandTimeoutError).timeoutMs).toBe(CONNECTION_DEFAULTS.commandTimeout);
    } finally {
      signal("SIGCONT");
    }
    expect(await Book.query.count()).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
