/**
 * Counts what popoto sends to Redis: round trips (writes to the socket; a pipeline is one) and
 * the commands inside them. This observes the real client; it does not replace Redis. On a
 * cluster every node connection's socket is observed (a command goes to one of them).
 */
import type { Cluster, Redis } from "ioredis";
import { getConnection } from "../../src/index.js";

export interface Traffic {
  readonly roundTrips: number;
  readonly commands: readonly string[];
}

type Stream = { write: (...args: unknown[]) => boolean };

export async function countTraffic<T>(run: () => PromiseLike<T>): Promise<{ result: T } & Traffic> {
  const client = getConnection();
  const connections = (
    "nodes" in client && typeof client.nodes === "function" ? (client as Cluster).nodes() : [client]
  ) as (Redis & { stream?: Stream })[];
  let roundTrips = 0;
  const commands: string[] = [];
  const restore: (() => void)[] = [];
  for (const connection of connections) {
    const stream = connection.stream;
    if (!stream) continue;
    const originalWrite = stream.write;
    stream.write = function (this: unknown, ...args: unknown[]): boolean {
      roundTrips++;
      return originalWrite.apply(stream, args);
    };
    restore.push(() => (stream.write = originalWrite));
  }
  const sender = client as Redis;
  const originalSend = sender.sendCommand;
  sender.sendCommand = function (this: Redis, ...args: Parameters<Redis["sendCommand"]>) {
    const [command] = args;
    commands.push(String((command as { name: string }).name).toUpperCase());
    return originalSend.apply(this, args);
  } as Redis["sendCommand"];
  try {
    const result = await run();
    return { result, roundTrips, commands };
  } finally {
    for (const undo of restore) undo();
    sender.sendCommand = originalSend;
  }
}
