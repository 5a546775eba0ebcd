/**
 * The change feed of a sharded model (`changes` with `shards`): one stream per bucket
 * (`stream:{Event#b.n}`, docs/storage.md §7a), appended by the bucket's write script; replay over
 * every bucket stream, and consumer groups created and read on each. Runs on standalone and on the
 * cluster pass.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  connect,
  Field,
  IndexedField,
  isPopotoError,
  KeyField,
  Model,
  SortedField,
  type ChangeEvent,
  type CommandEvent,
} from "../../src/index.js";
import { keyBody } from "../../src/keys/keys.js";
import { bucketOfText, bucketTag, keySlot } from "../../src/keys/shards.js";
import {
  allKeys,
  clusterUrls,
  connectTestRedis,
  ON_CLUSTER,
  raw,
  TEST_URL,
  useRedis,
} from "../support/redis.js";

useRedis();

const K = 6;
class Sale extends Model(
  "FeedSale",
  { id: KeyField(), kind: IndexedField(), total: SortedField({ type: "int" }), note: Field({ null: true }) },
  { shards: K, changes: true },
) {}

const tagOf = (id: string): string => bucketTag("FeedSale", bucketOfText(id, K), K);
const streamOf = (id: string): string => `stream:${tagOf(id)}`;
const IDS = Array.from({ length: 12 }, (_, i) => `s${i}`);

/** Creates every sale, updates the even ones, increments one and deletes another. */
async function history(): Promise<void> {
  for (const [i, id] of IDS.entries()) await Sale.create({ id, kind: i % 2 ? "x" : "y", total: i });
  for (const id of IDS.filter((_, i) => i % 2 === 0)) {
    const sale = (await Sale.load({ id })) as Sale;
    sale.note = `n-${id}`;
    await sale.save();
  }
  await ((await Sale.load({ id: "s3" })) as Sale).atomicIncrement("total", 5);
  await ((await Sale.load({ id: "s5" })) as Sale).delete();
}

/** What history() records of one sale, in its order. */
const expectedOps = (id: string): string[] => {
  const i = IDS.indexOf(id);
  return [
    "create",
    ...(i % 2 === 0 ? ["update"] : []),
    ...(id === "s3" ? ["update"] : []),
    ...(id === "s5" ? ["delete"] : []),
  ];
};

const opsBySale = (events: readonly ChangeEvent[]): Map<string, string[]> => {
  const found = new Map<string, string[]>();
  for (const e of events) found.set(keyBody(e.key), [...(found.get(keyBody(e.key)) ?? []), e.op]);
  return found;
};

const everySale = (): Map<string, string[]> => new Map(IDS.map((id) => [id, expectedOps(id)]));

describe("the change feed of a sharded model", () => {
  it("appends each write to the stream of the instance's bucket, in the bucket's slot", async () => {
    await history();
    const streams = (await allKeys()).filter((k) => k.startsWith("stream:"));
    expect(streams.sort()).toEqual([...new Set(IDS.map(streamOf))].sort());
    expect(Sale.changes.keys).toHaveLength(K);
    expect(Sale.changes.keys).toEqual(
      Array.from({ length: K }, (_, b) => `stream:${bucketTag("FeedSale", b, K)}`),
    );
    for (const id of IDS) {
      expect(keySlot(streamOf(id))).toBe(keySlot(`${tagOf(id)}:${id}`));
      const entries = await raw.xrange(streamOf(id), "-", "+");
      const mine = entries
        .map(([, fields]) =>
          Object.fromEntries(fields.flatMap((f, j) => (j % 2 ? [] : [[f, fields[j + 1]]]))),
        )
        .filter((entry) => entry["pk"] === `${tagOf(id)}:${id}`);
      expect(mine.map((entry) => entry["op"])).toEqual(expectedOps(id));
    }
    // No stream outside the buckets: the unsharded spellings hold nothing.
    expect(await raw.exists("stream:FeedSale")).toBe(0);
  });

  it("has no one key: reading `key` names `keys`", () => {
    let error: unknown;
    try {
      void Sale.changes.key;
    } catch (caught) {
      error = caught;
    }
    expect(isPopotoError(error, "VALIDATION")).toBe(true);
    expect((error as Error).message).toMatch(/one stream per bucket.*FeedSale\.changes\.keys/);
  });

  it("replays every bucket's events, and pages through them by per-stream positions without loss or repeat", async () => {
    await history();
    const all = await Sale.changes.read({ count: 1000 });
    expect(opsBySale(all)).toEqual(everySale());
    expect(await Sale.changes.length()).toBe(all.length);
    expect(new Set(all.map((e) => e.stream)).size).toBe(new Set(IDS.map(streamOf)).size);
    for (const e of all) expect(e.stream).toBe(streamOf(keyBody(e.key)));

    const seen: ChangeEvent[] = [];
    let at: Record<string, string> = {};
    for (let round = 0; round < 100; round++) {
      const batch = await Sale.changes.read({ after: at, count: 4 });
      if (batch.length === 0) break;
      expect(batch.length).toBeLessThanOrEqual(4);
      seen.push(...batch);
      for (const e of batch) at = { ...at, [e.stream]: e.id };
    }
    expect(seen.map((e) => `${e.stream} ${e.id}`).sort()).toEqual(
      all.map((e) => `${e.stream} ${e.id}`).sort(),
    );
    expect(opsBySale(seen)).toEqual(everySale());

    await expect(Sale.changes.read({ after: { "stream:Other": "0-0" } })).rejects.toThrow(
      /not a stream of this feed/,
    );
  });

  it("consumes every bucket in one group: created on each stream, delivered, acked, pending again after a restart", async () => {
    await history();
    const next = async <T>(iterator: AsyncIterator<T>): Promise<T> => {
      const result = await iterator.next();
      if (result.done) throw new Error("the iterator ended");
      return result.value;
    };
    const total = (await Sale.changes.read({ count: 1000 })).length;
    const before = Sale.changes.consume({ group: "g", consumer: "w", blockMs: 50 });
    const unacked: ChangeEvent[] = [];
    for (let i = 0; i < 5; i++) unacked.push(await next(before));
    await before.return(); // stopped before acking

    for (const key of Sale.changes.keys) {
      const groups = (await raw.xinfo("GROUPS", key)) as unknown[][];
      expect(groups.map((g) => g[1])).toEqual(["g"]);
    }
    // Every entry read for the consumer is pending for it, the five it yielded among them (the
    // streams are read at once, so it may have read more than it yielded).
    const pendingBefore = (
      await Promise.all(
        Sale.changes.keys.map(async (key) =>
          ((await raw.xpending(key, "g", "-", "+", 1000, "w")) as [string, ...unknown[]][]).map(
            ([id]) => id + key,
          ),
        ),
      )
    ).flat();
    expect(pendingBefore).toEqual(expect.arrayContaining(unacked.map((e) => e.id + e.stream)));

    const after = Sale.changes.consume({ group: "g", consumer: "w", blockMs: 50 });
    const delivered: ChangeEvent[] = [];
    for (let i = 0; i < total; i++) {
      const event = await next(after);
      delivered.push(event);
      await event.ack();
    }
    // Its own pending events first, then the rest.
    expect(
      delivered
        .slice(0, pendingBefore.length)
        .map((e) => e.id + e.stream)
        .sort(),
    ).toEqual([...pendingBefore].sort());
    expect(opsBySale(delivered)).toEqual(everySale());
    // A write made while the consumer waits reaches it, in whichever bucket it lands.
    const waiting = next(after);
    await Sale.create({ id: "late", kind: "x", total: 1 });
    const late = await waiting;
    expect([late.op, keyBody(late.key), late.stream]).toEqual(["create", "late", streamOf("late")]);
    await late.ack();
    await after.return();
    for (const key of Sale.changes.keys) expect((await raw.xpending(key, "g"))[0]).toBe(0);
  });
});

describe("an idle consumer of a sharded model", () => {
  afterEach(async () => {
    await connectTestRedis(); // back to the suite's plain connection
  });

  it("blocks instead of polling: no command while nothing is written, then the next entry", async () => {
    const events: CommandEvent[] = [];
    await connect({
      ...(ON_CLUSTER ? { cluster: clusterUrls() } : { url: TEST_URL }),
      onCommand: (e) => events.push(e),
    });
    const named = (name: string): number => events.filter((e) => e.name === name).length;
    // Long enough that no blocked read times out during the stretch below.
    const consumer = Sale.changes.consume({ group: "idle", consumer: "w", blockMs: 60_000 });
    const waiting = consumer.next();
    // Set up: a group on each stream, the pending entries read, then each stream's idle entries
    // claimed before the blocking read(s). Replies are reported as they arrive.
    while (named("XGROUP") < K || named("XAUTOCLAIM") < K)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const settled = events.length;
    // A stretch with no writes: a polling consumer would read every stream many times in it.
    for (let i = 0; i < 30; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const idle = events.slice(settled);
    expect(idle.map((e) => e.name)).toEqual([]);
    // Still listening: the next write reaches it, from whichever bucket.
    await Sale.create({ id: "woken", kind: "x", total: 1 });
    const result = await waiting;
    if (result.done) throw new Error("the consumer ended");
    expect([result.value.op, keyBody(result.value.key), result.value.stream]).toEqual([
      "create",
      "woken",
      streamOf("woken"),
    ]);
    await result.value.ack();
    expect((await raw.xpending(streamOf("woken"), "idle"))[0]).toBe(0);
    await consumer.return();
  });

  it("ends when its signal aborts while every stream's read is blocked", async () => {
    const stop = new AbortController();
    const consumer = Sale.changes.consume({
      group: "quit",
      consumer: "w",
      blockMs: 60_000,
      signal: stop.signal,
    });
    const waiting = consumer.next();
    // Each stream's group exists once the consumer is reading.
    while ((await Promise.all(Sale.changes.keys.map((key) => raw.exists(key)))).some((n) => n === 0))
      await new Promise((resolve) => setTimeout(resolve, 10));
    stop.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
  });
});
