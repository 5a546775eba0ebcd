/**
 * Counts what popoto sends to Redis: round trips (writes to the socket; a pipeline is one) and
 * the commands inside them. This observes the real client; it does not replace Redis.
 */
import type { Redis } from "ioredis";
import { getConnection } from "../../src/index.js";

export interface Traffic {
  readonly roundTrips: number;
  readonly commands: readonly string[];
}

export async function countTraffic<T>(run: () => PromiseLike<T>): Promise<{ result: T } & Traffic> {
  const client = getConnection() as Redis & { stream: { write: (...args: unknown[]) => boolean } };
  const stream = client.stream;
  const originalWrite = stream.write;
  const originalSend = client.sendCommand;
  let roundTrips = 0;
  const commands: string[] = [];
  stream.write = function (this: unknown, ...args: unknown[]): boolean {
    roundTrips++;
    return originalWrite.apply(stream, args);
  };
  client.sendCommand = function (this: Redis, ...args: Parameters<Redis["sendCommand"]>) {
    const [command] = args;
    commands.push(String((command as { name: string }).name).toUpperCase());
    return originalSend.apply(this, args);
  } as Redis["sendCommand"];
  try {
    const result = await run();
    return { result, roundTrips, commands };
  } finally {
    stream.write = originalWrite;
    client.sendCommand = originalSend;
  }
}
