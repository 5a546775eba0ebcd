/**
 * Test support: a throwaway `redis-server` of the test's own on a spare loopback port, for fault
 * tests that stop, restart or reconfigure Redis. The shared server (6379) is never touched.
 *
 * Every server started here is killed when the test process exits, even after a failure; call
 * `stop()` (or use `usePrivateServer()`) to stop it earlier.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every server process this test process started and has not seen exit. */
const running = new Set<ChildProcess>();
const killAll = (): void => {
  for (const child of running) child.kill("SIGKILL");
};
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });

export interface ServerOptions {
  /** Extra redis-server arguments, e.g. ["--appendonly", "yes"]. Default: no persistence at all. */
  readonly args?: readonly string[];
  /** Give the server its own temporary directory (for AOF/RDB files), removed by `stop()`. */
  readonly withDir?: boolean;
}

export interface PrivateServer {
  readonly port: number;
  /** redis://127.0.0.1:<port>/<db> */
  url(db?: number): string;
  /** The server's working directory when `withDir` was given. */
  readonly dir: string | undefined;
  /** The current process's pid, or undefined while it is down. */
  pid(): number | undefined;
  /** A plain ioredis client (brief retries only), for raw checks and for faults (CONFIG, CLIENT KILL…). */
  client(db?: number): Redis;
  /** Stops the process at once (SIGKILL, like a crash) and waits for it to exit. */
  kill(): Promise<void>;
  /** `SHUTDOWN NOSAVE` through a client, then waits for the process to exit. */
  shutdown(): Promise<void>;
  /** Starts redis-server again on the same port (and directory) and waits until it answers. */
  start(): Promise<void>;
  /** Kills the server and removes its directory and clients; idempotent. */
  stop(): Promise<void>;
}

const waitExit = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once("exit", () => resolve()));

/** Starts a redis-server on a spare loopback port, with `--save "" --appendonly no` unless `args` say otherwise. */
export async function startServer(options: ServerOptions = {}): Promise<PrivateServer> {
  const port = await freePort();
  const dir = options.withDir ? mkdtempSync(join(tmpdir(), "popoto-faults-")) : undefined;
  const clients: Redis[] = [];
  let child: ChildProcess | undefined;

  const baseArgs = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];
  const args = [...baseArgs, ...(dir ? ["--dir", dir] : []), ...(options.args ?? [])];

  const answers = async (): Promise<boolean> => {
    const probe = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  };

  const server: PrivateServer = {
    port,
    dir,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    client(db = 0) {
      const client = new Redis({
        port,
        host: "127.0.0.1",
        db,
        maxRetriesPerRequest: 1,
        retryStrategy: (times) => (times > 50 ? null : 50),
      });
      client.on("error", () => undefined);
      clients.push(client);
      return client;
    },
    async kill() {
      if (!child) return;
      const current = child;
      current.kill("SIGKILL");
      await waitExit(current);
    },
    async shutdown() {
      if (!child) return;
      const current = child;
      const admin = new Redis({ port, host: "127.0.0.1", retryStrategy: () => null, lazyConnect: true });
      admin.on("error", () => undefined);
      try {
        await admin.connect();
        await admin.call("SHUTDOWN", "NOSAVE");
      } catch {
        // the server closes the connection as it stops
      } finally {
        admin.disconnect();
      }
      await waitExit(current);
    },
    async start() {
      if (server.pid() !== undefined) throw new Error(`redis-server on ${port} is already running`);
      const started = spawn("redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      started.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      running.add(started);
      started.once("exit", () => running.delete(started));
      child = started;
      for (let i = 0; i < 200; i++) {
        if (started.exitCode !== null) break;
        if (await answers()) return;
        await sleep(25);
      }
      started.kill("SIGKILL");
      throw new Error(`redis-server did not start on port ${port}: ${stderr}`);
    },
    async stop() {
      for (const client of clients.splice(0)) client.disconnect();
      await server.kill();
      child = undefined;
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await server.start();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/**
 * One private server for a whole test file: started before the first test, stopped after the
 * last (also when a test failed). The returned object is filled in by `beforeAll`.
 */
export function usePrivateServer(options: ServerOptions = {}): { current: PrivateServer } {
  const holder = {} as { current: PrivateServer };
  beforeAll(async () => {
    holder.current = await startServer(options);
  });
  afterAll(async () => {
    await holder.current?.stop();
  });
  return holder;
}
