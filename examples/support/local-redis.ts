/**
 * For the demo on a machine without Redis: when nothing answers at the URL and `redis-server` is
 * on the PATH, starts a throwaway one on a free loopback port (no persistence) and says so;
 * otherwise prints one line on how to get Redis and exits with status 1, without a stack trace.
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export interface DemoRedis {
  readonly url: string;
  /** Stops the throwaway server, if one was started. */
  stop(): void;
}

const answers = async (url: string): Promise<boolean> => {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
};

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });

const redacted = (url: string): string => url.replace(/\/\/([^@/]*)@/, "//***@");

export async function demoRedis(): Promise<DemoRedis> {
  const url = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
  if (await answers(url)) return { url, stop: () => undefined };
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).error) {
    console.error(
      `popoto demo: nothing answers at ${redacted(url)} and redis-server is not installed: install Redis ` +
        `(apt install redis-server, brew install redis) or start one in a container ` +
        `(docker run -d -p 6379:6379 redis:7), or set REDIS_URL, then run npm run demo again.`,
    );
    process.exit(1);
  }
  const port = await freePort();
  const server = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: "ignore",
    },
  );
  const local = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100 && !(await answers(local)); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  console.log(
    `Nothing answers at ${redacted(url)}: started a throwaway redis-server on 127.0.0.1:${port} ` +
      `(pid ${server.pid}) for this demo; it stops at the end.`,
  );
  return { url: local, stop: () => void server.kill("SIGTERM") };
}
