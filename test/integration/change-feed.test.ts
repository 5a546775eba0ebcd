/**
 * The change feed (`changes` model option): the raw stream entries the write scripts append
 * (docs/storage.md, "Change feed"), that only committed writes appear and each exactly once, the
 * bound, and the consumer-group reader (pending events after a restart, claims, splitting,
 * its own blocking connection).
 */
import { describe, expect, it } from "vitest";
import {
  Field,
  KeyField,
  Model,
  Relationship,
  SortedField,
  UniqueField,
  isPopotoError,
  type ChangeEvent,
} from "../../src/index.js";
import { decodeField } from "../../src/encoding/codec/decode.js";
import { encodeValue } from "../../src/model/hash.js";
import { fromClusterKey } from "../support/cluster-keys.js";
import { layoutKey, ON_CLUSTER, raw, TEST_DB, useRedis } from "../support/redis.js";

useRedis();

class Shelf extends Model("FeedShelf", { name: KeyField() }) {}
class Book extends Model(
  "FeedBook",
  {
    title: KeyField(),
    pages: SortedField({ type: "int" }),
    isbn: UniqueField({ null: true }),
    note: Field({ null: true }),
    shelves: Relationship(Shelf, { many: true }),
  },
  { changes: true },
) {}
class Short extends Model("FeedShort", { n: KeyField({ type: "int" }) }, { changes: { maxLen: 10 } }) {}
class Plain extends Model("FeedPlain", { name: KeyField() }) {}

const STREAM = "stream:FeedBook";

/** The stream's entries as written: text fields as text, with keys in the standalone spelling (`FeedBook:Dune` on a cluster too), `v:` values as bytes. */
async function rawEntries(
  key = STREAM,
): Promise<{ id: string; text: Record<string, string>; values: Record<string, Buffer> }[]> {
  const entries = await raw.xrangeBuffer(layoutKey(key), "-", "+");
  return entries.map(([id, fields]) => {
    const text: Record<string, string> = {};
    const values: Record<string, Buffer> = {};
    for (let j = 0; j < fields.length; j += 2) {
      const name = (fields[j] as Buffer).toString();
      const value = fields[j + 1] as Buffer;
      if (name.startsWith("v:")) values[name.slice(2)] = value;
      else text[name] = fromClusterKey(value.toString());
    }
    return { id: id.toString(), text, values };
  });
}

const bytes = (field: string, value: unknown): Buffer =>
  encodeValue(Book.meta.fields.get(field) as never, value);
const decode = (value: Buffer | undefined): unknown => decodeField("int", value as Buffer);

const ops = async (): Promise<string[]> => (await rawEntries()).map((e) => `${e.text["op"]} ${e.text["pk"]}`);

describe("the stream entries", () => {
  it("records a create, an update, a key move, an increment, addRelated and a delete, with the stored bytes", async () => {
    const shelf = await Shelf.create({ name: "sf" });
    const book = await Book.create({ title: "Dune", pages: 412, isbn: "0441", note: null });
    book.note = "spice";
    await book.save();
    book.title = "Dune Messiah";
    await book.save();
    await book.atomicIncrement("pages", 3);
    await book.addRelated("shelves", shelf);
    await book.delete();

    const entries = await rawEntries();
    expect(entries.map((e) => e.text)).toEqual([
      expect.objectContaining({
        model: "FeedBook",
        pk: "FeedBook:Dune",
        op: "create",
        changed_fields: "title,pages,isbn,note,shelves",
      }),
      expect.objectContaining({ pk: "FeedBook:Dune", op: "update", changed_fields: "note" }),
      expect.objectContaining({
        pk: "FeedBook:Dune Messiah",
        op: "update",
        changed_fields: "title",
        previous_pk: "FeedBook:Dune",
      }),
      expect.objectContaining({ pk: "FeedBook:Dune Messiah", op: "update", changed_fields: "pages" }),
      expect.objectContaining({ pk: "FeedBook:Dune Messiah", op: "update", changed_fields: "shelves" }),
      {
        model: "FeedBook",
        pk: "FeedBook:Dune Messiah",
        op: "delete",
        ts: expect.any(String),
        changed_fields: "",
      },
    ]);
    // Exactly the fields listed above: nothing else is written into an entry.
    expect(Object.keys(entries[0]?.text ?? {})).toEqual(["model", "pk", "op", "ts", "changed_fields"]);
    for (const entry of entries) expect(entry.text["ts"]).toMatch(/^\d{10}\.\d{6}$/);
    // The values are the hash's own bytes (Popoto msgpack).
    expect(entries[0]?.values).toEqual({
      title: bytes("title", "Dune"),
      pages: bytes("pages", 412),
      isbn: bytes("isbn", "0441"),
      note: bytes("note", null),
      shelves: bytes("shelves", []),
    });
    expect(entries[1]?.values).toEqual({ note: bytes("note", "spice") });
    expect(entries[3]?.values).toEqual({ pages: bytes("pages", 415) });
    expect(entries[4]?.values).toEqual({ shelves: bytes("shelves", [layoutKey("FeedShelf:sf")]) });
    expect(entries[5]?.values).toEqual({});
  });

  it("decodes entries into typed events; read({ after }) replays what followed an id", async () => {
    const book = await Book.create({ title: "Emma", pages: 1 });
    await book.atomicIncrement("pages", 2);
    await book.delete();
    const events = await Book.changes.read();
    expect(events.map(({ op, key, fields, values }) => ({ op, key, fields, values }))).toEqual([
      {
        op: "create",
        key: layoutKey("FeedBook:Emma"),
        fields: ["title", "pages", "isbn", "note", "shelves"],
        values: { title: "Emma", pages: 1, isbn: null, note: null, shelves: [] },
      },
      { op: "update", key: layoutKey("FeedBook:Emma"), fields: ["pages"], values: { pages: 3 } },
      { op: "delete", key: layoutKey("FeedBook:Emma"), fields: [], values: {} },
    ]);
    const [first, second] = events as ChangeEvent[];
    expect(first?.at).toBeInstanceOf(Date);
    expect(await Book.changes.read({ after: first?.id ?? "" })).toEqual(events.slice(1));
    expect(await Book.changes.read({ after: second?.id ?? "", count: 5 })).toEqual(events.slice(2));
    expect(await Book.changes.length()).toBe(3);
  });

  it("is written only for models declared with changes", async () => {
    await Plain.create({ name: "x" });
    expect(await raw.exists(layoutKey("stream:FeedPlain"))).toBe(0);
    await expect(Plain.changes.read()).rejects.toThrow(/FeedPlain: it has no change feed/);
  });

  it("stays bounded: XADD MAXLEN ~ trims whole stream nodes", async () => {
    for (let n = 0; n < 300; n++) await Short.create({ n });
    const length = await raw.xlen(layoutKey("stream:FeedShort"));
    // Approximate trimming keeps at least maxLen, and drops whole nodes (100 entries by default).
    expect(length).toBeGreaterThanOrEqual(10);
    expect(length).toBeLessThan(300);
  });
});

describe("only committed writes, each exactly once", () => {
  it("appends nothing for a write that fails its checks or its validation", async () => {
    const kept = await Book.create({ title: "A", pages: 1, isbn: "1" });
    await Book.create({ title: "B", pages: 1 });
    const before = await ops();
    // Unique value held by another instance.
    await expect(Book.create({ title: "C", pages: 1, isbn: "1" })).rejects.toMatchObject({
      code: "UNIQUE_VIOLATION",
    });
    // A key move onto an existing instance.
    kept.title = "B";
    await expect(kept.save()).rejects.toMatchObject({ code: "KEY_CONFLICT" });
    // A stale copy with ifUnchanged.
    const copy = (await Book.load({ title: "A" })) as Book;
    const other = (await Book.load({ title: "A" })) as Book;
    other.note = "first";
    await other.save();
    copy.note = "second";
    await expect(copy.save({ ifUnchanged: true })).rejects.toMatchObject({ code: "CONCURRENT_MODIFICATION" });
    // Validation, before any script runs.
    await expect(Book.create({ title: "D", pages: Number.NaN })).rejects.toMatchObject({
      code: "VALIDATION",
    });
    // A delete of an instance that is not stored, and a save that changes nothing.
    const gone = (await Book.load({ title: "A" })) as Book;
    await gone.delete();
    await gone.delete();
    await (await Book.load({ title: "B" }))?.save();
    expect(await ops()).toEqual([
      ...before,
      `update FeedBook:A`, // other.note = "first"
      `delete FeedBook:A`,
    ]);
  });

  it("a wrong-typed stream key fails the write and writes nothing", async () => {
    await raw.set(layoutKey("stream:FeedShort"), "not a stream");
    const error = await Short.create({ n: 1 }).catch((e: unknown) => e);
    expect(isPopotoError(error)).toBe(true);
    expect(String((error as Error).message)).toContain("stream:");
    expect(await raw.exists(layoutKey("FeedShort:1"))).toBe(0);
  });

  it("a save the script sends back (the stored state moved) appends once, when it commits", async () => {
    const copy = (await Book.create({ title: "Retry", pages: 0 })) as Book;
    // Another client changes an indexed field behind popoto's back: the first try finds the
    // stored state moved, writes nothing, and the save is planned again from what is stored.
    await raw.hset(layoutKey("FeedBook:Retry"), "pages", bytes("pages", 7));
    copy.isbn = "r1";
    await copy.save();
    const entries = (await rawEntries()).filter((e) => e.text["op"] === "update");
    expect(entries.map((e) => [e.text["changed_fields"], e.values["isbn"]])).toEqual([
      ["isbn", bytes("isbn", "r1")],
    ]);
  });

  it("records every committed write: sequential, coalesced and bulk", async () => {
    const book = await Book.create({ title: "Count", pages: 0 });
    for (let i = 0; i < 5; i++) await book.atomicIncrement("pages", 1);
    // Concurrent increments of one process are coalesced into fewer scripts (src/write/key-queue.ts):
    // each script is one committed write, recorded with the sum it stored.
    await Promise.all(Array.from({ length: 10 }, () => book.atomicIncrement("pages", 1)));
    const many = await Book.bulkCreate(["x", "y", "z"].map((title) => ({ title, pages: 1 })));
    await Book.bulkDelete(many);
    const entries = await rawEntries();
    const sums = entries
      .filter((e) => e.text["pk"] === "FeedBook:Count" && e.text["op"] === "update")
      .map((e) => decode(e.values["pages"]));
    expect(sums.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    const coalesced = sums.slice(5);
    expect(coalesced.length).toBeGreaterThanOrEqual(1);
    expect(coalesced.length).toBeLessThanOrEqual(10);
    expect(coalesced.at(-1)).toBe(15);
    for (let j = 1; j < coalesced.length; j++)
      expect(coalesced[j]).toBeGreaterThan(coalesced[j - 1] as number);
    const keys = (op: string): string[] =>
      entries
        .filter((e) => e.text["op"] === op && e.text["pk"] !== "FeedBook:Count")
        .map((e) => e.text["pk"] ?? "")
        .sort();
    const xyz = ["x", "y", "z"].map((t) => `FeedBook:${t}`);
    expect(keys("create")).toEqual(xyz);
    expect(keys("delete")).toEqual(xyz);
  });
});

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
    expect(() => Plain.changes.consume({ group: "g", consumer: "c" })).toThrow(
      expect.objectContaining({ code: "MODEL_DEFINITION" }),
    );
    expect(await raw.exists(layoutKey(STREAM))).toBe(0); // no group was created (XGROUP … MKSTREAM)
  });
});
