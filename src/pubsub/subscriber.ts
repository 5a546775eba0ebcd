import type { RedisClient } from "../connection/connection.js";
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { redactSecrets, sanitizeError } from "../connection/redact.js";
import { decodeMessage } from "../encoding/codec/decode.js";
import { clause, PopotoError } from "../errors.js";

/** Called with each decoded message; a rejected promise or exception goes to `onError`. */
export type SubscriberHandler<TData = unknown> = (channel: string, data: TData) => void | Promise<void>;

/** One message from a subscriber's async iterator. */
export interface SubscriberMessage<TData = unknown> {
  readonly channel: string;
  readonly data: TData;
}

/** Options of `new Subscriber()`. */
export interface SubscriberOptions {
  /**
   * Receives what the subscriber cannot deliver, always as a PopotoError naming the channel: an
   * undecodable message (code "CORRUPT_DATA", skipped), a handler that threw or rejected (the
   * handler's error is the `cause`), and errors of the subscriber's connection. Default: one
   * `console.warn` per error.
   */
  readonly onError?: ((error: unknown) => void) | undefined;
}

const defaultOnError = (error: unknown): void => {
  console.warn(`popoto: ${error instanceof Error ? error.message : String(error)}`);
};

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The events a subscriber listens to; a standalone client and a Cluster both emit them. */
interface MessageSource {
  on(event: "messageBuffer", listener: (channel: Buffer, message: Buffer) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * Receives the msgpack messages a `Publisher` (or Python Popoto) sends, decoded, through a
 * handler, an async iterator, or both. It subscribes on its own connection (`duplicate()` of
 * popoto's), because a connection in subscriber mode can run no other command; `close()` it when
 * done. Messages are handed to the handler one at a time: an async handler's promise settles
 * before the next message is handed over.
 * @example new Subscriber<{ id: number }>("BookEvents", (channel, data) => log(data.id)) // SUBSCRIBE BookEvents
 */
export class Subscriber<TData = unknown> implements AsyncIterable<SubscriberMessage<TData>> {
  /** The channels subscribed to. */
  readonly channels: readonly string[];
  /**
   * Resolves once Redis has confirmed the SUBSCRIBE: messages published after that are received.
   * Rejects (with a ConnectionError for transport failures) when the subscription fails.
   */
  readonly ready: Promise<void>;

  readonly #connection: RedisClient;
  readonly #handler: SubscriberHandler<TData> | undefined;
  readonly #onError: (error: unknown) => void;
  /** Handler calls run one after another on this chain, in the order messages arrived. */
  #handling: Promise<void> = Promise.resolve();
  /** Whether messages are queued for iteration: always without a handler, else once iterated. */
  #queueing: boolean;
  readonly #queue: SubscriberMessage<TData>[] = [];
  readonly #waiting: ((result: IteratorResult<SubscriberMessage<TData>, undefined>) => void)[] = [];
  #closing: Promise<void> | undefined;

  /**
   * Subscribes to `channels` and calls `handler` with each decoded message.
   * @example new Subscriber("BookEvents", (channel, data) => console.log(channel, data)) // SUBSCRIBE BookEvents
   */
  constructor(
    channels: readonly string[] | string,
    handler: SubscriberHandler<TData>,
    options?: SubscriberOptions,
  );
  /**
   * Subscribes to `channels`; read the messages with `for await (const { channel, data } of sub)`.
   * Messages are queued from the moment SUBSCRIBE is confirmed until they are read.
   * @example for await (const { data } of new Subscriber("BookEvents")) console.log(data) // SUBSCRIBE BookEvents
   */
  constructor(channels: readonly string[] | string, options?: SubscriberOptions);
  constructor(
    channels: readonly string[] | string,
    handlerOrOptions?: SubscriberHandler<TData> | SubscriberOptions,
    options?: SubscriberOptions,
  ) {
    const list = typeof channels === "string" ? [channels] : [...channels];
    if (list.length === 0 || list.some((channel) => typeof channel !== "string" || channel === "")) {
      throw new PopotoError(
        "VALIDATION",
        `Subscriber: missing channel to subscribe to: give one or more non-empty channel names ` +
          `(Python Popoto publishes on the publishing class's name), got ${JSON.stringify(channels)}.`,
      );
    }
    this.channels = list;
    const handler = typeof handlerOrOptions === "function" ? handlerOrOptions : undefined;
    const opts = typeof handlerOrOptions === "function" ? options : (handlerOrOptions ?? options);
    this.#handler = handler;
    this.#onError = opts?.onError ?? defaultOnError;
    this.#queueing = handler === undefined;

    this.#connection = getConnection().duplicate();
    const source = this.#connection as MessageSource;
    source.on("messageBuffer", (channel, message) => this.#receive(channel.toString(), message));
    // Without a listener ioredis prints each connection error itself; route them to onError, once
    // per outage: the connection retries without limit and re-subscribes (ioredis autoResubscribe)
    // when Redis is back, so a long outage would otherwise report every attempt.
    let reported = false;
    (this.#connection as unknown as { on(event: "ready", listener: () => void): unknown }).on("ready", () => {
      reported = false;
    });
    source.on("error", (error) => {
      if (this.#closing !== undefined || reported) return;
      reported = true;
      this.#report(
        new PopotoError(
          "CONNECTION",
          `Subscriber on ${this.#describeChannels()}: connection error: ${clause(redactSecrets(error.message))}. ` +
            `It reconnects and subscribes again by itself once Redis answers.`,
          { cause: sanitizeError(error) },
        ),
      );
    });
    this.ready = this.#connection.subscribe(...list).then(
      () => undefined,
      (error: unknown) => {
        throw wrapRedisError(error);
      },
    );
    // A failed SUBSCRIBE rejects `ready` for whoever awaits it; it must not also crash the process.
    this.ready.catch(() => undefined);
  }

  /**
   * Unsubscribes and closes the subscriber's connection. No message is delivered after it is
   * called; iteration ends once the queued messages are read. Calling it again returns the same
   * promise.
   * @example await sub.close() // UNSUBSCRIBE, then QUIT on the subscriber's connection
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  /**
   * Yields `{ channel, data }` for each message, in arrival order; ends after `close()`. Breaking
   * out of a `for await` loop closes the subscriber. Several iterators share one queue: each
   * message goes to one of them.
   * @example for await (const { channel, data } of sub) handle(channel, data) // messages of SUBSCRIBE
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<SubscriberMessage<TData>, undefined> {
    this.#queueing = true;
    const iterator: AsyncIterableIterator<SubscriberMessage<TData>, undefined> = {
      next: async () => {
        await this.ready;
        const queued = this.#queue.shift();
        if (queued !== undefined) return { done: false, value: queued };
        if (this.#closing !== undefined) return { done: true, value: undefined };
        return new Promise((resolve) => this.#waiting.push(resolve));
      },
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  #receive(channel: string, payload: Buffer): void {
    if (this.#closing !== undefined) return;
    let data: TData;
    try {
      data = decodeMessage(payload) as TData;
    } catch (error) {
      this.#report(
        new PopotoError(
          "CORRUPT_DATA",
          `Subscriber: skipped a message on channel "${channel}" that cannot be decoded ` +
            `(${messageOf(error)}); ${payload.length} bytes, starting ${payload.subarray(0, 16).toString("hex")}.`,
          { cause: error },
        ),
      );
      return;
    }
    if (this.#queueing) {
      const message: SubscriberMessage<TData> = { channel, data };
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#queue.push(message);
      else waiter({ done: false, value: message });
    }
    const handler = this.#handler;
    if (handler !== undefined) {
      this.#handling = this.#handling.then(async () => {
        try {
          await handler(channel, data);
        } catch (error) {
          this.#report(
            new PopotoError(
              // No pub/sub code exists in PopotoErrorCode yet; the handler's error is the cause.
              "VALIDATION",
              `Subscriber handler failed on channel "${channel}": ${clause(messageOf(error))}. ` +
                `The message was skipped; the subscriber keeps listening.`,
              { cause: error },
            ),
          );
        }
      });
    }
  }

  #report(error: PopotoError): void {
    try {
      this.#onError(error);
    } catch (thrown) {
      // onError must not stop delivery; fall back to the default report.
      defaultOnError(thrown);
      defaultOnError(error);
    }
  }

  #describeChannels(): string {
    return this.channels.map((channel) => `"${channel}"`).join(", ");
  }

  async #shutDown(): Promise<void> {
    for (const resolve of this.#waiting.splice(0)) resolve({ done: true, value: undefined });
    const connection = this.#connection;
    try {
      // SUBSCRIBE may still be in flight; unsubscribing before it is confirmed would race it.
      await this.ready;
      await connection.unsubscribe();
      await connection.quit();
    } catch {
      // Already closed, never connected, or unreachable: drop the socket without waiting.
      connection.disconnect();
    }
  }
}
