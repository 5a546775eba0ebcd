/**
 * The change feed (`changes` model option): the raw stream entries the write scripts append
 * (docs/storage.md §11), that only committed writes appear and each exactly once, and the bound.
 * The consumer groups: change-feed-consumers.test.ts.
 */
import { describe, expect, it } from "vitest";
import { isPopotoError, type ChangeEvent } from "../../src/index.js";
import { decodeField } from "../../src/encoding/codec/decode.js";
import { encodeValue } from "../../src/model/hash.js";
import { Book, Owner, Pet, Plain, Shelf, Short, STREAM } from "../support/change-feed-models.js";
import { fromClusterKey } from "../support/cluster-keys.js";
import { layoutKey, raw, useRedis } from "../support/redis.js";

useRedis();

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

  it("records the writes of a delete's onDelete actions in each model's own stream", async () => {
    const ann = await Owner.create({ name: "ann" });
    const bob = await Owner.create({ name: "bob" });
    await Pet.create({ name: "rex", owner: ann, vet: bob });
    await Pet.create({ name: "tom", owner: bob, vet: bob });
    await bob.delete(); // cascades to tom, sets rex's vet to null
    const owners = await rawEntries("stream:FeedOwner");
    expect(owners.map((e) => `${e.text["op"]} ${e.text["pk"]}`)).toEqual([
      "create FeedOwner:ann",
      "create FeedOwner:bob",
      "delete FeedOwner:bob",
    ]);
    const pets = await rawEntries("stream:FeedPet");
    expect(pets.map((e) => `${e.text["op"]} ${e.text["pk"]} ${e.text["changed_fields"]}`)).toEqual([
      "create FeedPet:rex name,owner,vet",
      "create FeedPet:tom name,owner,vet",
      ...(pets[2]?.text["op"] === "delete"
        ? ["delete FeedPet:tom ", "update FeedPet:rex vet"]
        : ["update FeedPet:rex vet", "delete FeedPet:tom "]),
    ]);
    expect(pets.find((e) => e.text["op"] === "update")?.values).toEqual({
      vet: encodeValue(Pet.meta.fields.get("vet") as never, null),
    });
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

  it("reads an entry Popoto 1.x's EventStreamMixin appends to the same key (stream:<_stream_name>)", async () => {
    // What Python's `_xadd_mutation("update", update_fields=["note"])` sends for a model whose
    // _stream_name is "FeedBook", with a metadata field ("source").
    await raw.xadd(
      layoutKey(STREAM),
      "MAXLEN",
      "~",
      10000,
      "*",
      "model",
      "FeedBook",
      "pk",
      layoutKey("FeedBook:Py"),
      "op",
      "update",
      "ts",
      "1764000000.25",
      "changed_fields",
      "note",
      "source",
      "python",
    );
    const [event] = await Book.changes.read();
    expect(event).toMatchObject({
      model: "FeedBook",
      op: "update",
      key: layoutKey("FeedBook:Py"),
      at: new Date(1_764_000_000_250),
      fields: ["note"],
      values: {},
    });
  });

  it("is written only for models declared with changes", async () => {
    await Plain.create({ name: "x" });
    expect(await raw.exists(layoutKey("stream:FeedPlain"))).toBe(0);
    // @ts-expect-error: FeedPlain has no change feed; the run-time check is tested here
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
