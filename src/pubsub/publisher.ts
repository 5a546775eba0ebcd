import { getConnection, wrapRedisError } from "../connection/connection.js";
import { slotOwner } from "../connection/masters.js";
import { encodeMessage } from "../encoding/codec/encode.js";
import { clause, PopotoError } from "../errors.js";

/*
 * Errors here use the "VALIDATION" code: they are bad arguments to publish(), thrown before
 * anything is sent. A dedicated pub/sub code would belong in errors.ts.
 */
const publishError = (message: string, cause?: unknown): PopotoError =>
  new PopotoError("VALIDATION", `Publisher: ${message}`, cause === undefined ? undefined : { cause });

/**
 * Publishes msgpack messages on a Redis channel, as Python Popoto's `Publisher` does (storage spec
 * §7): a Python `Subscriber` reads them, and popoto's `Subscriber` reads Python's.
 *
 * Popoto defaults the channel to the publishing class's name; here it is always given, so pass
 * the Python class name when a Python subscriber listens.
 * @example new Publisher<{ id: number }>("BookEvents").publish({ id: 1 }) // PUBLISH BookEvents \x81\xa2id\x01
 */
export class Publisher<TData = unknown> {
  /** The channel `publish()` sends on when no other channel is given. */
  readonly channel: string;
  /** The bytes last sent, so a republish sends exactly them even if the data was mutated since. */
  #last: Uint8Array | undefined;

  constructor(channel: string) {
    if (typeof channel !== "string" || channel === "") {
      throw publishError(
        `missing channel to publish to: new Publisher(channel) needs a non-empty channel name ` +
          `(Python Popoto uses the publishing class's name), got ${JSON.stringify(channel)}.`,
      );
    }
    this.channel = channel;
  }

  /**
   * Sends `data` as msgpack on `channel` (default: the publisher's channel) and resolves to the
   * number of subscribers that received it. Without `data` it sends the last data this publisher
   * sent again (Popoto's republish); with nothing sent yet that is an error.
   * @example await events.publish({ id: 1 }) // PUBLISH BookEvents \x81\xa2id\x01 → 1
   */
  async publish(data?: TData, channel?: string): Promise<number> {
    const target = channel ?? this.channel;
    if (target === "") {
      throw publishError(`missing channel to publish to: publish(data, channel) was given an empty channel.`);
    }
    let payload: Uint8Array;
    if (data === undefined) {
      if (this.#last === undefined) {
        throw publishError(
          `nothing to republish on "${target}": publish() without data sends the last data again, ` +
            `but this publisher has not published anything yet. Pass the data to publish.`,
        );
      }
      payload = this.#last;
    } else {
      try {
        payload = encodeMessage(data);
      } catch (error) {
        throw publishError(
          `cannot publish on "${target}": ${clause(error instanceof Error ? error.message : String(error))}.`,
          error,
        );
      }
    }
    // Kept before sending, as Popoto does, so publish() after a failed send retries the same bytes.
    this.#last = payload;
    try {
      // encodeMessage returns a Buffer, which ioredis sends as binary (a Uint8Array would be text).
      // PUBLISH names no key, so a Cluster client sends each one through a random node, and the
      // cluster bus keeps no order between nodes: messages 1 and 2 could reach a subscriber as
      // 2, 1. Sent through one node (the master owning the channel's slot), they travel one bus
      // link to each node and arrive in the order sent.
      const client = getConnection();
      return await (slotOwner(client, target) ?? client).publish(target, payload as Buffer);
    } catch (error) {
      throw wrapRedisError(error);
    }
  }
}
