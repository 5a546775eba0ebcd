/**
 * The write planner's output as plain data (keys and arguments of write.lua / commute.lua), per
 * operation, the way a client library tests each command's arguments. The same operations run
 * against Redis in test/integration/write-plans.test.ts (models and rows: test/support/write-plan-models.ts).
 */
import { describe, expect, it } from "vitest";
import { DecimalField, KeyField, Model, SortedField } from "../../src/index.js";
import { planCommute, commutingIncrement } from "../../src/write/plan-commute.js";
import { dependentFields, dirtyFields, dirtySaveIntent } from "../../src/write/plan-save.js";
import { planWrites } from "../../src/write/plan-write.js";
import { saveIntent } from "../../src/write/execute-write.js";
import { meta, row, snapshotOf, storedOf } from "../support/write-plan-models.js";

class PPrice extends Model("PPrice", {
  code: KeyField({ type: "decimal" }),
  amount: DecimalField(),
  rank: SortedField({ type: "decimal" }),
}) {}
class PShort extends Model("PShort", { id: KeyField(), hits: SortedField({ type: "int" }) }, { ttl: 60 }) {}

const show = (args: readonly unknown[]): unknown[] =>
  args.map((a) => (Buffer.isBuffer(a) ? `0x${a.toString("hex")}` : a));

/** The write.lua call of a save of `row` changed by `changes`, from a copy that loaded `row`. */
const planSave = (changes: Record<string, unknown>, ifUnchanged = false) => {
  const values = new Map(Object.entries({ ...row, ...changes }));
  const { intent } = dirtySaveIntent(meta, "PBook:Dune", values, storedOf(row), snapshotOf(row), ifUnchanged);
  const call = planWrites([intent]);
  return { keys: call.keys, args: show(call.args) };
};

describe("commute.lua calls", () => {
  it("an increment of a plain int: the hash only, no index", () => {
    expect(commutingIncrement(meta, "sold")).toBe(true);
    expect(planCommute({ op: "incr", meta, key: "PBook:Dune", field: "sold", deltas: ["2"] })).toEqual({
      keys: ["PBook:Dune"],
      // op, field, ttl, shadow, type, sorted set, deltas, no event
      args: ["incr", "sold", 0, 0, "int", 0, 1, "2", 0],
    });
  });

  it("an increment of an unpartitioned sorted int: the sorted set's score too", () => {
    expect(planCommute({ op: "incr", meta, key: "PBook:Dune", field: "pages", deltas: ["-1"] })).toEqual({
      keys: ["PBook:Dune", "$SortF:PBook:pages"],
      args: ["incr", "pages", 0, 0, "int", 2, 1, "-1", 0],
    });
  });

  it("a ttl model: the ttl is refreshed and the shadow of an indexed field updated", () => {
    expect(
      planCommute({ op: "incr", meta: PShort.meta, key: "PShort:a", field: "hits", deltas: ["1"] }),
    ).toEqual({
      keys: ["PShort:a", "$IndexValues:PShort:PShort:a", "$SortF:PShort:hits"],
      args: ["incr", "hits", 60, 2, "int", 3, 1, "1", 0],
    });
  });

  it("queued increments of one field: one call, the deltas in order", () => {
    expect(
      planCommute({ op: "incr", meta, key: "PBook:Dune", field: "sold", deltas: ["2", "-1", "5"] }),
    ).toEqual({
      keys: ["PBook:Dune"],
      args: ["incr", "sold", 0, 0, "int", 0, 3, "2", "-1", "5", 0],
    });
  });

  it("a decimal field: the deltas as exact decimal text", () => {
    expect(commutingIncrement(PPrice.meta, "amount")).toBe(true);
    expect(commutingIncrement(PPrice.meta, "rank")).toBe(true);
    expect(commutingIncrement(PPrice.meta, "code")).toBe(false); // a key field
    expect(
      planCommute({ op: "incr", meta: PPrice.meta, key: "PPrice:a", field: "rank", deltas: ["0.1", "0.2"] }),
    ).toEqual({
      keys: ["PPrice:a", "$SortF:PPrice:rank"],
      args: ["incr", "rank", 0, 0, "decimal", 2, 2, "0.1", "0.2", 0],
    });
  });

  it("fields whose entries are named by value take the checked path", () => {
    expect(commutingIncrement(meta, "price")).toBe(false); // partitioned
    expect(commutingIncrement(meta, "title")).toBe(false); // not numeric
  });

  it("addRelated / removeRelated: targets with their reverse sets, and the None set", () => {
    expect(
      planCommute({ op: "add", meta, key: "PBook:Dune", field: "tags", targets: ["PTag:a", "PTag:b"] }),
    ).toEqual({
      keys: [
        "PBook:Dune",
        "$RelationshipF:PBook:tags:None",
        "$RelationshipF:PBook:tags:PTag:a",
        "$RelationshipF:PBook:tags:PTag:b",
      ],
      args: ["add", "tags", 0, 0, 2, 2, "PTag:a", 3, "PTag:b", 4, 0],
    });
    expect(
      planCommute({ op: "remove", meta, key: "PBook:Dune", field: "tags", targets: ["PTag:a"] }),
    ).toEqual({
      keys: ["PBook:Dune", "$RelationshipF:PBook:tags:None", "$RelationshipF:PBook:tags:PTag:a"],
      args: ["remove", "tags", 0, 0, 2, 1, "PTag:a", 3, 0],
    });
  });
});

describe("what a save depends on", () => {
  it("dirty fields: only values that differ from the stored bytes", () => {
    const values = new Map(Object.entries({ ...row, sold: 3 }));
    expect([...dirtyFields(meta, "PBook:Dune", values, storedOf(row)).keys()]).toEqual(["sold"]);
    // stored bytes popoto would write differently (an int stored as uint16 0) still equal 0
    const odd = storedOf(row);
    odd.set("sold", Buffer.from("cd0000", "hex"));
    expect([...dirtyFields(meta, "PBook:Dune", new Map(Object.entries(row)), odd).keys()]).toEqual([]);
  });

  it("checked fields per change", () => {
    expect(dependentFields(meta, new Set(["sold", "note"]))).toEqual([]);
    expect(dependentFields(meta, new Set(["pages"]))).toEqual([]); // ZADD overwrites
    expect(dependentFields(meta, new Set(["price"]))).toEqual(["genre"]); // names the partition
    expect(dependentFields(meta, new Set(["genre"]))).toEqual(["genre", "price"]); // moves partition
    expect(dependentFields(meta, new Set(["tags"]))).toEqual(["tags"]);
    expect(dependentFields(meta, new Set(["title"]))).toBeUndefined(); // key move: all indexed
    expect(dependentFields(PShort.meta, new Set(["hits"]))).toBeUndefined(); // ttl: shadow stays whole
  });
});

describe("write.lua calls of a save", () => {
  it("a plain field: one HSET, no check, no entry", () => {
    expect(planSave({ sold: 5 })).toEqual({
      keys: ["PBook:Dune"],
      // guards, writes, op, old key, no move, no ttl, expected, 0 checked, 1 hash field, 0 unique, 0 removals, 0 additions, no event
      args: [0, 1, "u", 1, 0, 0, "1", 0, 1, "sold", "0x05", 0, 0, 0, 0],
    });
  });

  it("an unpartitioned sorted field: the HSET and a ZADD of the instance key, no check", () => {
    expect(planSave({ pages: 500 })).toEqual({
      keys: ["PBook:Dune", "$SortF:PBook:pages"],
      args: [0, 1, "u", 1, 0, 0, "1", 0, 1, "pages", "0xcd01f4", 0, 0, 1, "Z", 2, "500", 0],
    });
  });

  it("a partition field: checks it and the sorted value, moves the member", () => {
    expect(planSave({ genre: "fantasy" })).toEqual({
      keys: ["PBook:Dune", "$SortF:PBook:price:sf", "$SortF:PBook:price:fantasy"],
      args: [
        ...[0, 1, "u", 1, 0, 0],
        ...["1", 2, "genre", "price", "0xa27366", "0x0a"],
        ...[1, "genre", "0xa766616e74617379"],
        0,
        ...[1, "Z", 2],
        ...[1, "Z", 3, "10"],
        0,
      ],
    });
  });

  it("a many-relationship: checks the stored list, moves between reverse sets", () => {
    expect(planSave({ tags: ["PTag:a"] })).toEqual({
      keys: ["PBook:Dune", "$RelationshipF:PBook:tags:None", "$RelationshipF:PBook:tags:PTag:a"],
      args: [
        ...[0, 1, "u", 1, 0, 0],
        ...["1", 1, "tags", "0x90"],
        ...[1, "tags", "0x91a6505461673a61"],
        0,
        ...[1, "S", 2],
        ...[1, "S", 3],
        0,
      ],
    });
  });

  it("ifUnchanged: every field checked against the loaded bytes", () => {
    const { args } = planSave({ sold: 1 }, true);
    expect(args.slice(0, 9)).toEqual([0, 1, "u", 1, 0, 0, "1", 7, "title"]);
    expect(args.slice(15, 23)).toEqual([
      "0xa444756e65",
      "0xa27366",
      "0xcd019c",
      "0x0a",
      "0x00",
      "0xc0",
      "0x90",
      1,
    ]);
  });

  it("a key move: every indexed field checked, the whole hash RENAMEd, entries re-keyed", () => {
    const { keys, args } = planSave({ title: "Dune 2" });
    expect(keys.slice(0, 2)).toEqual(["PBook:Dune", "PBook:Dune 2"]);
    expect(args.slice(0, 8)).toEqual([0, 1, "u", 1, 2, 0, "1", meta.indexedFields.length]);
    // the class set: the old key removed, the new one added, both as the instance's own member
    const classSet = keys.indexOf("$Class:PBook") + 1;
    const flat = args.join(" ");
    expect(flat).toContain(`S ${classSet}`);
  });
});

describe("write.lua calls of other operations", () => {
  it("a create: nothing expected, every field and entry written, the key as member once", () => {
    const values = new Map<string, unknown>(Object.entries(row));
    const { intent } = saveIntent(meta, values, undefined, undefined);
    const call = planWrites([intent]);
    expect(call.keys).toEqual([
      "PBook:Dune",
      "$Class:PBook",
      "$KeyF:PBook:title:Dune",
      "$SortF:PBook:pages",
      "$SortF:PBook:price:sf",
      "$RelationshipF:PBook:tags:None",
    ]);
    expect(show(call.args).slice(0, 7)).toEqual([0, 1, "s", 1, 0, 0, "0"]);
    const checked = meta.indexedFields.length;
    const afterHash = 8 + checked + 1 + 2 * meta.fieldNames.length;
    expect(show(call.args).slice(afterHash)).toEqual([
      0,
      0,
      ...[5, "S", 2, "S", 3, "Z", 4, "412", "Z", 5, "10", "S", 6],
      0,
    ]);
  });

  it("a delete: the stored indexed fields checked, every entry removed by position", () => {
    const call = planWrites([{ meta, kind: "delete", oldKey: "PBook:Dune", expected: snapshotOf(row) }]);
    const args = show(call.args);
    expect(args.slice(0, 8)).toEqual([0, 1, "d", 1, 0, 0, "1", meta.indexedFields.length]);
    expect(args.slice(-13)).toEqual([0, 0, 5, "S", 2, "S", 3, "Z", 4, "Z", 5, "S", 6, 0, 0].slice(-13));
    expect(call.keys).toContain("$RelationshipF:PBook:tags:None");
  });

  it("a ttl model: the ttl and both shadow positions follow the key positions", () => {
    const { intent } = saveIntent(
      PShort.meta,
      new Map<string, unknown>([
        ["id", "a"],
        ["hits", 1],
      ]),
      undefined,
      undefined,
    );
    const call = planWrites([intent]);
    expect(call.keys.slice(0, 2)).toEqual(["PShort:a", "$IndexValues:PShort:PShort:a"]);
    expect(show(call.args).slice(0, 9)).toEqual([0, 1, "s", 1, 0, 60, 2, 2, "0"]);
  });

  it("a guard: position, member count, members", () => {
    const call = planWrites(
      [{ meta, kind: "delete", oldKey: "PBook:Dune", expected: null }],
      [{ key: "$RelationshipF:PBook:tags:PTag:a", members: ["PBook:Dune"] }],
    );
    expect(call.keys[0]).toBe("$RelationshipF:PBook:tags:PTag:a");
    expect(call.args.slice(0, 7)).toEqual([1, 1, 1, "PBook:Dune", 1, "d", 2]);
  });
});
