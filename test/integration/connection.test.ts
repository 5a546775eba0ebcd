/**
 * Connection: nothing connects at import; connect(url | ioredis client | options); commands
 * before connect() fail clearly; a lost connection is retried; a server that stays gone makes
 * commands fail with a ConnectionError.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConnectionError,
  KeyField,
  Model,
  NotConnectedError,
  PopotoError,
  connect,
  disconnect,
  getConnection,
} from "../../src/index.js";
import { caught, sleep } from "../support/inspect.js";
import { allKeys, raw, TEST_URL, useRedis } from "../support/redis.js";

useRedis();

class Book extends Model("Book", { title: KeyField() }) {}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

const runScript = (file: string, env: NodeJS.ProcessEnv = {}): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${file} did not exit by itself (an open connection?): ${out} ${err}`));
    }, 15_000);
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out.trim());
      else reject(new Error(`${file} exited ${code}: ${err}`));
    });
  });

afterEach(async () => {
  // every test leaves popoto connected to the test database, as useRedis() expects
  await connect(TEST_URL);
});

describe("connection", () => {
  it("nothing connects at import, and a process that never connects exits by itself", async () => {
    const out = await runScript("test/support/import-only.ts", { REDIS_URL: TEST_URL });
    expect(JSON.parse(out)).toEqual({
      connects: 0,
      code: "NOT_CONNECTED",
      createCode: "NOT_CONNECTED",
      query: "function",
    });
  }, 30_000);

  it("commands before connect() fail with NotConnectedError and write nothing", async () => {
    await disconnect();
    expect(() => getConnection()).toThrow(NotConnectedError);
    const error = await caught(() => Book.create({ title: "x" }), NotConnectedError);
    expect(error).toBeInstanceOf(PopotoError);
    expect(error.code).toBe("NOT_CONNECTED");
    expect(error.message).toContain("connect()");
    await caught(() => Book.query.all(), NotConnectedError);
    await caught(() => Book.load({ title: "x" }), NotConnectedError);
    expect(await allKeys()).toEqual([]);
  });

  it("connect(url) uses the database the URL names", async () => {
    await connect(TEST_URL);
    await Book.create({ title: "viaUrl" });
    expect(await raw.exists("Book:viaUrl")).toBe(1);
  });

  it("connect() uses REDIS_URL", async () => {
    const saved = process.env["REDIS_URL"];
    process.env["REDIS_URL"] = TEST_URL;
    try {
      await connect();
      await Book.create({ title: "viaEnv" });
      expect(await raw.exists("Book:viaEnv")).toBe(1);
    } finally {
      if (saved === undefined) delete process.env["REDIS_URL"];
      else process.env["REDIS_URL"] = saved;
    }
  });

  it("connect(client) uses the caller's ioredis client and leaves it open on disconnect()", async () => {
    const mine = new Redis(TEST_URL);
    try {
      expect(await connect(mine)).toBe(mine);
      expect(getConnection()).toBe(mine);
      await Book.create({ title: "viaClient" });
      expect(await raw.exists("Book:viaClient")).toBe(1);
      await disconnect();
      expect(await mine.ping()).toBe("PONG");
    } finally {
      mine.disconnect();
    }
  });

  it("connecting again replaces and closes the connection popoto opened", async () => {
    const first = await connect(TEST_URL);
    const second = await connect(TEST_URL);
    expect(second).not.toBe(first);
    for (let i = 0; i < 100 && first.status !== "end"; i++) await sleep(10);
    expect(first.status).toBe("end");
    expect(await second.ping()).toBe("PONG");
  });

  it("a server that does not answer gives a ConnectionError saying what to do", async () => {
    const error = await caught(
      () => connect({ url: "redis://127.0.0.1:1/15", maxReconnectAttempts: 0 }),
      ConnectionError,
    );
    expect(error).toBeInstanceOf(PopotoError);
    expect(error.code).toBe("CONNECTION");
    expect(error.message).toContain("127.0.0.1:1");
    expect(error.message).toMatch(/redis-server|REDIS_URL/);
  });

  it("a lost connection is re-established and the next command succeeds", async () => {
    await connect(TEST_URL);
    const id = (await getConnection().call("CLIENT", "ID")) as number;
    await raw.call("CLIENT", "KILL", "ID", String(id));
    await Book.create({ title: "afterKill" });
    expect(await raw.exists("Book:afterKill")).toBe(1);
    expect(await Book.query.count()).toBe(1);
  });
});

describe("a server that goes away", () => {
  let server: ChildProcess | undefined;

  afterEach(() => {
    if (server && server.exitCode === null) server.kill("SIGKILL");
    server = undefined;
  });

  it("fails commands with a ConnectionError once retries are spent", async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    server = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    const url = `redis://127.0.0.1:${port}/0`;
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on("error", () => undefined);
    let up = false;
    for (let i = 0; i < 100 && !up; i++) {
      try {
        await probe.connect();
        up = (await probe.ping()) === "PONG";
      } catch {
        await sleep(50);
      }
    }
    expect(up).toBe(true);
    await connect({ url, maxReconnectAttempts: 2 });
    await Book.create({ title: "before" });
    expect(await probe.exists("Book:before")).toBe(1);
    try {
      await probe.call("SHUTDOWN", "NOSAVE");
    } catch {
      // the server closes the connection as it stops
    }
    probe.disconnect();
    const started = Date.now();
    const error = await caught(() => Book.create({ title: "after" }), ConnectionError);
    expect(error.code).toBe("CONNECTION");
    expect(error.message.length).toBeGreaterThan(20);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
