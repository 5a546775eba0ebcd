/**
 * The delete planner's output as plain data: which steps a delete with onDelete actions becomes,
 * in what order, with which keys and arguments, on a standalone server (every key together) and
 * on a cluster (each model its own slot, simulated here by grouping keys by model name). The same
 * deletes run against Redis in test/integration/delete-steps.test.ts, on both layouts.
 */
import { describe, expect, it } from "vitest";
import { KeyField, Model, Relationship, SortedField } from "../../src/index.js";
import { encodeValue } from "../../src/model/hash.js";
import type { ModelMeta } from "../../src/model/meta.js";
import { deleteIntent, setNullIntent } from "../../src/write/delete-intents.js";
import {
  deleteRanks,
  planDeleteSteps,
  type DeleteGraph,
  type DeleteNode,
  type ClearNode,
} from "../../src/write/plan-delete.js";
import { planWrites, type Guard, type Snapshot } from "../../src/write/plan-write.js";

class DAuthor extends Model("DAuthor", { name: KeyField() }) {}
class DBook extends Model("DBook", {
  title: KeyField(),
  author: Relationship(DAuthor, { onDelete: "cascade" }),
  pages: SortedField({ type: "int" }),
}) {}
class DChapter extends Model("DChapter", {
  id: KeyField(),
  book: Relationship(DBook, { onDelete: "cascade" }),
}) {}
class DFan extends Model("DFan", {
  name: KeyField(),
  authors: Relationship(DAuthor, { many: true, onDelete: "setNull" }),
}) {}

/** The snapshot of a stored instance: its indexed fields' bytes. */
const snap = (meta: ModelMeta, values: Record<string, unknown>): Snapshot =>
  new Map(meta.indexedFields.map((f) => [f, encodeValue(meta.fields.get(f)!, values[f])]));

/** A cluster's grouping: each model's keys in their own slot (what the `{Model}` hash tag does). */
const byModel = (key: string): string =>
  key.startsWith("$") ? (key.split(":")[1] as string) : (key.split(":")[0] as string);
const standalone = (): string => "";

/** What a delete of DAuthor:a reads when `a` has `books` books, each with one chapter, and `fans` fans. */
function library(books: number, fans = 0): DeleteGraph {
  const deletes = new Map<string, DeleteNode>();
  const clears = new Map<string, ClearNode>();
  const guards: Guard[] = [];
  const author: DeleteNode = {
    meta: DAuthor.meta,
    expected: snap(DAuthor.meta, { name: "a" }),
    target: true,
    referrers: [],
  };
  deletes.set("DAuthor:a", author);
  const bookKeys = Array.from({ length: books }, (_, i) => `DBook:b${i}`);
  guards.push({ key: "$RelationshipF:DBook:author:DAuthor:a", members: bookKeys });
  for (const [i, key] of bookKeys.entries()) {
    author.referrers.push(key);
    const chapter = `DChapter:c${i}`;
    deletes.set(key, {
      meta: DBook.meta,
      expected: snap(DBook.meta, { title: `b${i}`, author: "DAuthor:a", pages: i }),
      target: false,
      referrers: [chapter],
    });
  }
  for (const [i] of bookKeys.entries()) {
    const chapter = `DChapter:c${i}`;
    guards.push({ key: `$RelationshipF:DChapter:book:DBook:b${i}`, members: [chapter] });
    deletes.set(chapter, {
      meta: DChapter.meta,
      expected: snap(DChapter.meta, { id: `c${i}`, book: `DBook:b${i}` }),
      target: false,
      referrers: [],
    });
  }
  const fanKeys = Array.from({ length: fans }, (_, i) => `DFan:f${i}`);
  guards.push({ key: "$RelationshipF:DFan:authors:DAuthor:a", members: fanKeys });
  for (const [i, key] of fanKeys.entries())
    clears.set(key, {
      meta: DFan.meta,
      expected: snap(DFan.meta, { name: `f${i}`, authors: ["DAuthor:a", "DAuthor:z"] }),
      clears: new Map([["authors", new Set(["DAuthor:a"])]]),
    });
  return { deletes, clears, guards };
}

const opsOf = (step: { intents: readonly { kind: string; oldKey: string }[] }): string[] =>
  step.intents.map((i) => `${i.kind} ${i.oldKey}`);

describe("a small delete", () => {
  it("on a standalone server is one atomic step checking every reverse set it read", () => {
    const plan = planDeleteSteps(library(1, 1), standalone);
    expect(plan.atomic).toBe(true);
    expect(plan.steps.map(opsOf)).toEqual([
      ["update DFan:f0", "delete DChapter:c0", "delete DBook:b0", "delete DAuthor:a"],
    ]);
    expect(plan.steps[0]?.guards.map((g) => g.key)).toEqual([
      "$RelationshipF:DBook:author:DAuthor:a",
      "$RelationshipF:DChapter:book:DBook:b0",
      "$RelationshipF:DFan:authors:DAuthor:a",
    ]);
  });

  it("on a cluster is one step per slot, setNull first, then deepest first: keys and arguments", () => {
    const plan = planDeleteSteps(library(1, 1), byModel);
    expect(plan.atomic).toBe(false);
    expect(plan.steps.map((s) => s.slot)).toEqual(["DFan", "DChapter", "DBook", "DAuthor"]);
    // No guard: the reverse sets live in other slots; the sweep after the targets covers them.
    expect(plan.steps.every((s) => s.guards.length === 0)).toBe(true);
    const calls = plan.steps.map((s) => planWrites(s.intents, s.guards));
    expect(calls.map((c) => c.keys)).toEqual([
      ["DFan:f0", "$RelationshipF:DFan:authors:DAuthor:a"],
      ["DChapter:c0", "$Class:DChapter", "$KeyF:DChapter:id:c0", "$RelationshipF:DChapter:book:DBook:b0"],
      [
        "DBook:b0",
        "$Class:DBook",
        "$KeyF:DBook:title:b0",
        "$RelationshipF:DBook:author:DAuthor:a",
        "$SortF:DBook:pages",
      ],
      ["DAuthor:a", "$Class:DAuthor", "$KeyF:DAuthor:name:a"],
    ]);
    const show = (args: readonly unknown[]): unknown[] =>
      args.map((a) => (Buffer.isBuffer(a) ? `0x${a.toString("hex")}` : a));
    // The setNull: a partial save of `authors` only, from the stored state, refused if it changed.
    // The setNull: a partial save of `authors` alone ([a, z] becomes [z]), checked against the
    // stored state it was planned from; the entry in a's reverse set goes, z's stays.
    expect(show(calls[0]!.args)).toEqual([
      0,
      1,
      "update",
      1,
      1,
      0,
      0,
      0,
      "1",
      2,
      "name",
      "authors",
      "0xa26630",
      `0x${encodeValue(DFan.meta.fields.get("authors")!, ["DAuthor:a", "DAuthor:z"]).toString("hex")}`,
      1,
      "authors",
      `0x${encodeValue(DFan.meta.fields.get("authors")!, ["DAuthor:z"]).toString("hex")}`,
      0,
      1,
      "s",
      2,
      "DFan:f0",
      0,
      0,
    ]);
    // The target: a delete of its stored state with every entry (class set, key field).
    expect(show(calls[3]!.args)).toEqual([
      0,
      1,
      "delete",
      1,
      0,
      0,
      0,
      0,
      "1",
      1,
      "name",
      "0xa161",
      0,
      0,
      2,
      "s",
      2,
      "DAuthor:a",
      "s",
      3,
      "DAuthor:a",
      0,
      0,
    ]);
    // A cascaded referrer is deleted only in the state it was read in (else planned again).
    expect(plan.steps[2]?.intents[0]?.ifUnchanged).toBe(true);
    expect(plan.steps[3]?.intents[0]?.ifUnchanged).toBeUndefined();
  });

  it("a referrer whose hash is gone is purged (entries from its key), never recreated", () => {
    expect(deleteIntent(DChapter.meta, "DChapter:x", null, false)).toMatchObject({
      kind: "purge",
      fallbackEntries: [
        { kind: "s", key: "$Class:DChapter", member: "DChapter:x" },
        { kind: "s", key: "$KeyF:DChapter:id:x", member: "DChapter:x" },
      ],
    });
    expect(setNullIntent(DFan.meta, "DFan:x", new Map(), null).kind).toBe("purge");
  });
});

describe("a large delete", () => {
  it("2,000 books with a chapter each: steps within the bound, one slot each, deepest first", () => {
    for (const slotOf of [standalone, byModel]) {
      const plan = planDeleteSteps(library(2000, 300), slotOf, { maxKeys: 1000, maxArgs: 20_000 });
      expect(plan.atomic).toBe(false);
      const ops = plan.steps.flatMap(opsOf);
      expect(ops).toHaveLength(4301);
      expect(new Set(ops).size).toBe(4301);
      for (const step of plan.steps) {
        const call = planWrites(step.intents, step.guards);
        expect(call.keys.length).toBe(step.keys);
        expect(call.args.length).toBe(step.args);
        expect(step.keys).toBeLessThanOrEqual(1000);
        expect(step.args).toBeLessThanOrEqual(20_000);
        expect(new Set(call.keys.map(slotOf))).toEqual(new Set([step.slot]));
      }
      // setNull first, then every chapter before every book, the author last.
      const kinds = ops.map((op) => op.split(" ")[1]!.split(":")[0]);
      const last = (model: string): number => kinds.lastIndexOf(model);
      const first = (model: string): number => kinds.indexOf(model);
      expect(last("DFan")).toBeLessThan(first("DChapter"));
      expect(last("DChapter")).toBeLessThan(first("DBook"));
      expect(ops[ops.length - 1]).toBe("delete DAuthor:a");
    }
  });

  it("the bound cuts a slot's writes into several steps, and the guards are left to the sweep", () => {
    const plan = planDeleteSteps(library(50), standalone, { maxKeys: 40, maxArgs: 20_000 });
    expect(plan.steps.length).toBeGreaterThan(2);
    expect(plan.steps.every((s) => s.keys <= 40 && s.guards.length === 0)).toBe(true);
  });

  it("an instance whose own write exceeds the bound still gets a step of its own", () => {
    const plan = planDeleteSteps(library(2), standalone, { maxKeys: 1, maxArgs: 10 });
    expect(plan.steps.map((s) => s.intents.length)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe("ranks (deepest first)", () => {
  const node = (referrers: string[]): DeleteNode => ({
    meta: DBook.meta,
    expected: null,
    target: false,
    referrers,
  });

  it("a chain of 100,000 instances is ranked without recursion", () => {
    const deletes = new Map<string, DeleteNode>();
    for (let i = 0; i < 100_000; i++) deletes.set(`n${i}`, node(i + 1 < 100_000 ? [`n${i + 1}`] : []));
    const ranks = deleteRanks(deletes);
    expect(ranks.get("n99999")).toBe(0);
    expect(ranks.get("n0")).toBe(99_999);
  });

  it("a cycle is cut where the walk meets it; a self reference counts for nothing", () => {
    const ranks = deleteRanks(
      new Map([
        ["a", node(["b", "a"])],
        ["b", node(["a", "c"])],
        ["c", node([])],
      ]),
    );
    expect(Object.fromEntries(ranks)).toEqual({ c: 0, b: 1, a: 2 });
  });
});
