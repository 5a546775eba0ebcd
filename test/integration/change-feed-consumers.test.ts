/**
 * The change feed's consumer groups (`Model.changes.consume()`): delivery and ack, pending events
 * again after a restart, claims of a crashed consumer's events, two consumers splitting the
 * events, `from`, the blocking read on its own connection, and option checks.
 */
import { expect, it, describe } from "vitest";
import { Book, Plain, STREAM } from "../support/change-feed-models.js";
import { layoutKey, ON_CLUSTER, raw, TEST_DB, useRedis } from "../support/redis.js";

useRedis();

/** Whether a client of the test database is blocked in XREADGROUP (the consumer's reader). */
async function readerBlocked(): Promise<boolean> {
  const nodes = ON_CLUSTER
    ? (raw as unknown as { nodes(role: string): (typeof raw)[] }).nodes("master")
    : [raw];
  const lists = await Promise.all(nodes.map((node) => node.client("LIST") as Promise<string>));
  return lists
    .flatMap((list) => list.split("\n"))
    .some(
      (line) =>
        line.includes("cmd=xreadgroup") &&
        / flags=b /.test(line) &&
        (ON_CLUSTER || line.includes(` db=${TEST_DB} `)),
    );
}

async function untilReaderBlocked(): Promise<void> {
  for (let i = 0; i < 1000 && !(await readerBlocked()); i++) await new Promise((r) => setTimeout(r, 5));
  expect(await readerBlocked()).toBe(true);
}

describe("consumer groups", () => {
  const next = async <T>(iterator: AsyncIterator<T>): Promise<T> => {
    const result = await iterator.next();
    if (result.done) throw new Error("the iterator ended");
    return result.value;
  };

  it("delivers every event to the group; ack() clears it from the pending list", async () => {
    await Book.create({ title: "One", pages: 1 });
    await Book.create({ title: "Two", pages: 2 });
    const feed = Book.changes.consume({ group: "g", consumer: "c1", blockMs: 50 });
    const first = await next(feed);
    const second = await next(feed);
    expect([first.op, first.key, first.values.pages]).toEqual(["create", layoutKey("FeedBook:One"), 1]);
    expect([second.op, second.key, second.values.pages]).toEqual(["create", layoutKey("FeedBook:Two"), 2]);
    expect((await raw.xpending(layoutKey(STREAM), "g"))[0]).toBe(2);
    await first.ack();
    await second.ack();
    expect((await raw.xpending(layoutKey(STREAM), "g"))[0]).toBe(0);
    await feed.return();
  });

  it("a consumer that stops without acking gets its pending events again on restart, then new ones", async () => {
    await Book.create({ title: "P1", pages: 1 });
    await Book.create({ title: "P2", pages: 1 });
    const before = Book.changes.consume({ group: "g", consumer: "worker", blockMs: 50 });
    const seen = [(await next(before)).id, (await next(before)).id];
    await before.return(); // stopped (or crashed) before acking
    await Book.create({ title: "P3", pages: 1 });

    const after = Book.changes.consume({ group: "g", consumer: "worker", blockMs: 50 });
    const again = [await next(after), await next(after)];
    expect(again.map((e) => e.id)).toEqual(seen);
    for (const e of again) await e.ack();
    const fresh = await next(after);
    expect(fresh.key).toBe(layoutKey("FeedBook:P3"));
    await fresh.ack();
    await after.return();
    expect((await raw.xpending(layoutKey(STREAM), "g"))[0]).toBe(0);
  });

  it("a pending event trimmed from the stream meanwhile is acknowledged, not delivered", async () => {
    await Book.create({ title: "T1", pages: 1 });
    await Book.create({ title: "T2", pages: 1 });
    const before = Book.changes.consume({ group: "g", consumer: "trim", blockMs: 50 });
    await next(before);
    await next(before);
    await before.return();
    expect((await raw.xpending(layoutKey(STREAM), "g"))[0]).toBe(2);
    await raw.xtrim(layoutKey(STREAM), "MAXLEN", 0);
    await Book.create({ title: "T3", pages: 1 });
    const after = Book.changes.consume({ group: "g", consumer: "trim", blockMs: 50 });
    const fresh = await next(after);
    expect(fresh.key).toBe(layoutKey("FeedBook:T3"));
    await fresh.ack();
    await after.return();
    expect((await raw.xpending(layoutKey(STREAM), "g"))[0]).toBe(0);
  });

  it("another consumer claims the events a crashed consumer left unacknowledged", async () => {
    await Book.create({ title: "Lost", pages: 1 });
    const crashed = Book.changes.consume({ group: "g", consumer: "crashed", blockMs: 50 });
    const lost = await next(crashed);
    await crashed.return();
    const rescuer = Book.changes.consume({ group: "g", consumer: "rescuer", blockMs: 50, claimIdleMs: 0 });
    const claimed = await next(rescuer);
    expect(claimed.id).toBe(lost.id);
    expect(claimed.key).toBe(layoutKey("FeedBook:Lost"));
    await claimed.ack();
    await rescuer.return();
    expect((await raw.xpending(layoutKey(STREAM), "g"))[0]).toBe(0);
  });

  it("two consumers of one group split the events between them", async () => {
    for (const title of ["s1", "s2", "s3", "s4"]) await Book.create({ title, pages: 1 });
    const a = Book.changes.consume({ group: "split", consumer: "a", count: 1, blockMs: 50 });
    const b = Book.changes.consume({ group: "split", consumer: "b", count: 1, blockMs: 50 });
    const got = { a: [] as string[], b: [] as string[] };
    for (const [name, feed] of [
      ["a", a],
      ["b", b],
      ["a", a],
      ["b", b],
    ] as const) {
      const event = await next(feed);
      got[name].push(event.key);
      await event.ack();
    }
    expect(got.a).toHaveLength(2);
    expect(got.b).toHaveLength(2);
    expect([...got.a, ...got.b].sort()).toEqual(
      ["s1", "s2", "s3", "s4"].map((t) => layoutKey(`FeedBook:${t}`)),
    );
    await a.return();
    await b.return();
  });

  it("from: '$' starts a new group at the end; an existing group keeps its position", async () => {
    await Book.create({ title: "Old", pages: 1 });
    const feed = Book.changes.consume({ group: "late", consumer: "c", from: "$", blockMs: 50 });
    const pending = next(feed); // creates the group at the end, then waits
    await untilReaderBlocked();
    await Book.create({ title: "New", pages: 1 });
    expect((await pending).key).toBe(layoutKey("FeedBook:New"));
    await feed.return();
  });

  it("a blocking read waits on its own connection: the app's commands go on meanwhile", async () => {
    const controller = new AbortController();
    const feed = Book.changes.consume({
      group: "block",
      consumer: "c",
      from: "$",
      blockMs: 600_000,
      signal: controller.signal,
    });
    const waiting = next(feed);
    await untilReaderBlocked();
    // Were the read on popoto's connection, this create would wait behind it (10 minutes).
    await Book.create({ title: "Meanwhile", pages: 1 });
    expect(await Book.load({ title: "Meanwhile" })).not.toBeNull();
    expect((await waiting).key).toBe(layoutKey("FeedBook:Meanwhile"));
    // Aborting ends a blocked read.
    const ended = feed.next();
    controller.abort();
    expect(await ended).toEqual({ done: true, value: undefined });
  });

  it("rejects bad options before anything is sent, and a model without a feed", async () => {
    expect(() => Book.changes.consume({ group: "", consumer: "c" })).toThrow(
      /group must be a non-empty string/,
    );
    expect(() => Book.changes.consume({ group: "g", consumer: "c", count: 0 })).toThrow(/count must be/);
    // @ts-expect-error: FeedPlain has no change feed; the run-time check is tested here
    expect(() => Plain.changes.consume({ group: "g", consumer: "c" })).toThrow(
      expect.objectContaining({ code: "MODEL_DEFINITION" }),
    );
    expect(await raw.exists(layoutKey(STREAM))).toBe(0); // no group was created (XGROUP … MKSTREAM)
  });
});
