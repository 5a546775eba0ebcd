/**
 * Counts round trips and commands a client sends, the way test/support/round-trips.ts does: every
 * write to the client's socket is one round trip (a pipeline or MULTI/EXEC block is written at
 * once), every sendCommand one command. It observes the real client; nothing is stubbed.
 */
import type { Redis } from "ioredis";

type Write = (...args: unknown[]) => boolean;
type Send = Redis["sendCommand"];

export interface TrafficCount {
  readonly roundTrips: number;
  readonly commands: number;
}

export class Traffic {
  #roundTrips = 0;
  #commands = 0;
  /** Commands sent, by lowercase name (what the client itself sent, as opposed to a script's calls). */
  readonly sent = new Set<string>();

  /** Wraps the client's socket writes (again after a reconnect) and sendCommand for the rest of the process. */
  constructor(client: Redis) {
    const wrapped = new WeakSet<object>();
    const wrap = (): void => {
      const stream = (client as unknown as { stream?: { write: Write } }).stream;
      if (!stream || wrapped.has(stream)) return;
      wrapped.add(stream);
      const write = stream.write;
      stream.write = (...args: unknown[]): boolean => {
        this.#roundTrips++;
        return write.apply(stream, args);
      };
    };
    wrap();
    client.on("connect", wrap);
    const send = client.sendCommand;
    const counted = (...args: Parameters<Send>): ReturnType<Send> => {
      this.#commands++;
      this.sent.add(String(args[0].name).toLowerCase());
      return send.apply(client, args);
    };
    client.sendCommand = counted as Send;
  }

  count(): TrafficCount {
    return { roundTrips: this.#roundTrips, commands: this.#commands };
  }
}

/** Traffic between two counts. */
export const since = (before: TrafficCount, after: TrafficCount): TrafficCount => ({
  roundTrips: after.roundTrips - before.roundTrips,
  commands: after.commands - before.commands,
});
