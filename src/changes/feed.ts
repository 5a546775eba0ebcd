/**
 * `Model.changes`: the durable change feed of a model declared with `changes` (README "Change
 * feed"). The write scripts append to it; this reads it: replay by id, or a consumer group. A
 * sharded model's feed is one stream per bucket (docs/storage.md §7a), read together.
 */
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { ModelDefinitionError, PopotoError } from "../errors.js";
import { changeStream, changeStreams } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { consumeChanges, consumeSettings, type ConsumedChange, type ConsumeOptions } from "./consume.js";
import { decodeEntry, type ChangeEvent } from "./entry.js";
import { rangeEntries } from "./replies.js";

/** Options of `Model.changes.read()`. */
export interface ReadChangesOptions {
  /**
   * Only entries after this position (exclusive); default: from the oldest entry each stream
   * holds. An id (`event.id`) applies to every stream; a record from stream key to id (`{
   * [event.stream]: event.id }`) gives each stream its own position, which is what replays a
   * sharded model's feed (one stream per bucket) without losing or repeating an event.
   */
  readonly after?: string | Readonly<Record<string, string>> | undefined;
  /** At most this many events; default 100. */
  readonly count?: number | undefined;
}

/** A stream entry id as numbers, to order entries of several streams (`<ms>-<seq>`). */
const idParts = (id: string): [number, number] => {
  const [ms, seq] = id.split("-");
  return [Number(ms), Number(seq ?? 0)];
};

export class ChangeFeed<TValues> {
  readonly #meta: ModelMeta;

  constructor(meta: ModelMeta) {
    this.#meta = meta;
  }

  /**
   * The stream's key: `stream:<Model>` (`stream:{<Model>}` on a cluster). A sharded model has one
   * stream per bucket: read `keys`.
   */
  get key(): string {
    if (this.#meta.shards > 1)
      throw new PopotoError(
        "VALIDATION",
        `${this.#meta.name} is sharded (${this.#meta.shards} buckets): its change feed is one stream per bucket, ` +
          `so it has no one key; read ${this.#meta.name}.changes.keys.`,
        { model: this.#meta.name },
      );
    return changeStream(this.#meta);
  }

  /** Every stream of the feed: `[key]`, or one per bucket of a sharded model (`stream:{Event#3.17}`, bucket 0 first). */
  get keys(): string[] {
    return changeStreams(this.#meta);
  }

  #requireFeed(): void {
    if (!this.#meta.changes)
      throw new ModelDefinitionError(
        this.#meta.name,
        `it has no change feed; declare it with Model("${this.#meta.name}", fields, { changes: true }) ` +
          `(or { changes: { maxLen } }) to read ${this.keys.join(", ")}.`,
      );
  }

  /** Where XRANGE starts in each stream: after the given id, or its own id of `after`. */
  #starts(after: ReadChangesOptions["after"]): Map<string, string> {
    const keys = this.keys;
    if (after === undefined || typeof after === "string")
      return new Map(keys.map((key) => [key, after === undefined ? "-" : `(${after}`]));
    const unknown = Object.keys(after).filter((key) => !keys.includes(key));
    if (unknown.length > 0)
      throw new PopotoError(
        "VALIDATION",
        `${this.#meta.name}.changes.read(): after names ${unknown.map((k) => JSON.stringify(k)).join(", ")}, ` +
          `not a stream of this feed (${keys.join(", ")}); give ids of events this feed returned (event.stream).`,
        { model: this.#meta.name },
      );
    return new Map(keys.map((key) => [key, after[key] === undefined ? "-" : `(${after[key]}`]));
  }

  /**
   * Replays the feed: the events after `after` (XRANGE, oldest first), without a consumer group.
   * A sharded model's bucket streams are read at once and merged by id (the time each node
   * recorded the write), which orders events of one bucket exactly and others approximately.
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
    const starts = this.#starts(options.after);
    const keys = [...starts.keys()];
    let replies: unknown[];
    try {
      replies = await Promise.all(
        keys.map((key) =>
          getConnection().callBuffer("XRANGE", key, starts.get(key) as string, "+", "COUNT", count),
        ),
      );
    } catch (error) {
      throw wrapRedisError(error, keys);
    }
    const entries = replies.flatMap((reply, i) =>
      rangeEntries(reply).map((entry) => ({
        key: keys[i] as string,
        order: i,
        parts: idParts(entry.id),
        entry,
      })),
    );
    // Oldest first over every stream; one stream's entries keep their order (ids increase in it).
    entries.sort((a, b) => a.parts[0] - b.parts[0] || a.parts[1] - b.parts[1] || a.order - b.order);
    return entries
      .slice(0, count)
      .map(({ key, entry }) => decodeEntry<TValues>(this.#meta, key, entry.id, entry.fields ?? []));
  }

  /** The number of entries the feed holds (XLEN of each stream, added up): about `maxLen` per stream once trimmed. */
  async length(): Promise<number> {
    this.#requireFeed();
    const keys = this.keys;
    try {
      const lengths = await Promise.all(keys.map((key) => getConnection().xlen(key)));
      return lengths.reduce((a, b) => a + b, 0);
    } catch (error) {
      throw wrapRedisError(error, keys);
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
    return consumeChanges<TValues>(this.#meta, this.keys, options);
  }
}
