/**
 * The change feed as data: the trailing ARGV section write.lua and commute.lua receive for a
 * model declared with `changes`, the `changes` option's checks, and the decoding of a stream
 * entry (popoto's, and one Popoto 1.x's EventStreamMixin writes) into an event.
 */
import { describe, expect, it } from "vitest";
import { Field, KeyField, Model, SortedField } from "../../src/index.js";
import { decodeEntry } from "../../src/changes/entry.js";
import { encodeValue } from "../../src/model/hash.js";
import { planCommute } from "../../src/write/plan-commute.js";
import { planWrites, type WriteIntent } from "../../src/write/plan-write.js";

class CBook extends Model(
  "CBook",
  { title: KeyField(), pages: SortedField({ type: "int" }), note: Field({ null: true }) },
  { changes: { maxLen: 500 } },
) {}
class CPlain extends Model("CPlain", { title: KeyField() }) {}

const deleteOf = (meta: typeof CBook.meta, key: string): WriteIntent => ({
  meta,
  kind: "delete",
  oldKey: key,
  expected: new Map([["title", encodeValue(meta.fields.get("title")!, key.split(":")[1])]]),
});

describe("the change feed in the write scripts' arguments", () => {
  it("write.lua: one trailing group per recorded write (write, stream, MAXLEN, model)", () => {
    const call = planWrites([deleteOf(CBook.meta, "CBook:a"), deleteOf(CBook.meta, "CBook:b")]);
    const stream = call.keys.indexOf("stream:CBook") + 1;
    expect(stream).toBeGreaterThan(0);
    expect(call.args.slice(-9)).toEqual([2, 1, stream, 500, "CBook", 2, stream, 500, "CBook"]);
  });

  it("write.lua: nothing trailing for a model without a feed, nor for a purge", () => {
    const plain = planWrites([deleteOf(CPlain.meta, "CPlain:a")]);
    expect(plain.keys).not.toContain("stream:CPlain");
    expect(plain.args.at(-1)).toBe(0); // the write's event flag ends the arguments
    const purge = planWrites([{ ...deleteOf(CBook.meta, "CBook:a"), kind: "purge", expected: null }]);
    expect(purge.keys).not.toContain("stream:CBook");
    expect(purge.args.at(-1)).toBe(0);
  });

  it("commute.lua: the stream after the event section", () => {
    expect(
      planCommute({ op: "incr", meta: CBook.meta, key: "CBook:a", field: "pages", deltas: ["1"] }),
    ).toEqual({
      keys: ["CBook:a", "$SortF:CBook:pages", "stream:CBook"],
      args: ["incr", "pages", 0, 0, "int", 2, 1, "1", 0, 1, 3, 500, "CBook"],
    });
  });
});

describe("the changes option", () => {
  it("defaults maxLen to Popoto's 10 000 and rejects bad bounds and unknown options", () => {
    expect(Model("COpt1", { k: KeyField() }, { changes: true }).meta.changes).toEqual({ maxLen: 10_000 });
    expect(Model("COpt2", { k: KeyField() }, { changes: false }).meta.changes).toBeUndefined();
    expect(() => Model("COpt3", { k: KeyField() }, { changes: { maxLen: 0 } })).toThrow(
      /changes.maxLen must be a positive whole number/,
    );
    expect(() => Model("COpt4", { k: KeyField() }, { changes: { max: 5 } as never })).toThrow(
      /unknown changes option "max"/,
    );
  });
});

const entry = (pairs: Record<string, string | Buffer>): Buffer[] =>
  Object.entries(pairs).flatMap(([name, value]) => [Buffer.from(name), Buffer.from(value)]);

describe("decodeEntry", () => {
  const meta = CBook.meta;
  const bytes = (field: string, value: unknown): Buffer => encodeValue(meta.fields.get(field)!, value);

  it("decodes popoto's entry: values from v:<field>, previous key, time", () => {
    const event = decodeEntry(
      meta,
      "stream:CBook",
      "1700000000123-0",
      entry({
        model: "CBook",
        pk: "CBook:b",
        op: "update",
        ts: "1700000000.123456",
        changed_fields: "title,pages,gone",
        previous_pk: "CBook:a",
        "v:title": bytes("title", "b"),
        "v:pages": bytes("pages", 300),
        "v:gone": Buffer.from([0xc0]), // a field the model no longer declares
      }),
    );
    expect(event).toEqual({
      id: "1700000000123-0",
      stream: "stream:CBook",
      model: "CBook",
      op: "update",
      key: "CBook:b",
      previousKey: "CBook:a",
      at: new Date(1_700_000_000_123),
      fields: ["title", "pages"],
      values: { title: "b", pages: 300 },
    });
  });

  it("reads an entry Popoto 1.x's EventStreamMixin wrote (no values; metadata fields ignored)", () => {
    const event = decodeEntry(
      meta,
      "stream:CBook",
      "1700000000000-0",
      entry({
        model: "CBook",
        pk: "CBook:a",
        op: "create",
        ts: "1700000000.5",
        changed_fields: "",
        source: "user",
      }),
    );
    expect(event).toMatchObject({
      op: "create",
      key: "CBook:a",
      fields: [],
      values: {},
      at: new Date(1_700_000_000_500),
    });
  });

  it("an entry that is not a change is CORRUPT_DATA naming the stream and id", () => {
    expect(() => decodeEntry(meta, "stream:CBook", "1-0", entry({ pk: "CBook:a", op: "touch" }))).toThrow(
      expect.objectContaining({
        code: "CORRUPT_DATA",
        message: expect.stringContaining("1-0 of stream:CBook"),
      }),
    );
    expect(() =>
      decodeEntry(
        meta,
        "stream:CBook",
        "1-0",
        entry({ pk: "CBook:a", op: "update", "v:pages": Buffer.from([0xc1]) }),
      ),
    ).toThrow(expect.objectContaining({ code: "CORRUPT_DATA" }));
  });
});
