/**
 * `Model.changes`: the durable change feed of a model declared with `changes` (README "Change
 * feed"). The write scripts append to it; this reads it: replay by id, or a consumer group.
 */
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { ModelDefinitionError, PopotoError } from "../errors.js";
import { changeStream } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { consumeChanges, consumeSettings, type ConsumedChange, type ConsumeOptions } from "./consume.js";
import { decodeEntry, type ChangeEvent } from "./entry.js";
import { rangeEntries } from "./replies.js";

/** Options of `Model.changes.read()`. */
export interface ReadChangesOptions {
  /** Only entries after this id (exclusive); default: from the oldest entry the stream holds. */
  readonly after?: string | undefined;
  /** At most this many events; default 100. */
  readonly count?: number | undefined;
}

export class ChangeFeed<TValues> {
  readonly #meta: ModelMeta;

  constructor(meta: ModelMeta) {
    this.#meta = meta;
  }

  /** The stream's key: `stream:<Model>` (`stream:{<Model>}` on a cluster). */
  get key(): string {
    return changeStream(this.#meta);
  }

  #requireFeed(): void {
    if (!this.#meta.changes)
      throw new ModelDefinitionError(
        this.#meta.name,
        `it has no change feed; declare it with Model("${this.#meta.name}", fields, { changes: true }) ` +
          `(or { changes: { maxLen } }) to read ${this.key}.`,
      );
  }

  /**
   * Replays the feed: the events after `after` (XRANGE, oldest first), without a consumer group.
   * @example await Book.changes.read({ after: lastSeenId, count: 10 }) // XRANGE stream:Book (<id> + COUNT 10
   */
  async read(options: ReadChangesOptions = {}): Promise<ChangeEvent<TValues>[]> {
    this.#requireFeed();
    const count = options.count ?? 100;
    if (!Number.isSafeInteger(count) || count < 1)
      throw new PopotoError(
        "VALIDATION",
        `${this.#meta.name}.changes.read(): count must be a whole number of at least 1, got ${String(count)}.`,
        { model: this.#meta.name },
      );
    const start = options.after === undefined ? "-" : `(${options.after}`;
    let reply: unknown;
    try {
      reply = await getConnection().callBuffer("XRANGE", this.key, start, "+", "COUNT", count);
    } catch (error) {
      throw wrapRedisError(error, [this.key]);
    }
    return rangeEntries(reply).map((entry) =>
      decodeEntry<TValues>(this.#meta, this.key, entry.id, entry.fields ?? []),
    );
  }

  /** The number of entries the stream holds (XLEN): at most about `maxLen` once trimmed. */
  async length(): Promise<number> {
    this.#requireFeed();
    try {
      return await getConnection().xlen(this.key);
    } catch (error) {
      throw wrapRedisError(error, [this.key]);
    }
  }

  /**
   * Reads the feed as `consumer` of consumer group `group` (created when missing): an async
   * iterator of events that waits for new writes. Each event stays pending until `ack()`; a
   * consumer restarted under the same name gets its unacknowledged events first, and events
   * another consumer left unacknowledged for `claimIdleMs` are claimed. Stop with `signal`, or by
   * leaving the `for await` loop.
   * @example for await (const change of Book.changes.consume({ group: "search", consumer: "w1" })) { index(change); await change.ack(); }
   */
  consume(options: ConsumeOptions): AsyncGenerator<ConsumedChange<TValues>, void, undefined> {
    this.#requireFeed();
    consumeSettings(this.#meta, options); // bad options fail here, not at the first next()
    return consumeChanges<TValues>(this.#meta, this.key, options);
  }
}
