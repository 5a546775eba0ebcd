/**
 * Where a sharded model's write goes under a layout, as data (docs/storage.md §7a "Resharding"):
 * the text that picks the bucket, the route, the retired guard, and the intent spelled again for
 * the routed bucket with every key and member of the instance's own tag replaced.
 */
import { describe, expect, it } from "vitest";
import { IndexedField, KeyField, Model, Relationship, SortedField } from "../../src/index.js";
import { layoutView } from "../../src/keys/keys.js";
import { bucketOfText, bucketTag } from "../../src/keys/shards.js";
import type { Layout } from "../../src/shards/layout-record.js";
import {
  bucketText,
  retagContent,
  retagFirst,
  retagMember,
  routedIntent,
  routeKey,
} from "../../src/shards/route-write.js";
import { saveContent } from "../../src/write/execute-write.js";
import { planCommute } from "../../src/write/plan-commute.js";
import { planWrites } from "../../src/write/plan-write.js";

class UrParent extends Model("UrParent", { id: KeyField() }) {}
class UrEvent extends Model(
  "UrEvent",
  { id: KeyField(), kind: IndexedField(), n: SortedField({ type: "int" }) },
  { shards: 4 },
) {}
class UrChild extends Model(
  "UrChild",
  { id: KeyField(), parent: Relationship(() => UrParent, { null: true }) },
  { shards: 4, shardBy: "parent" },
) {}

const settled = (count: number): Layout => ({ count, done: new Set(), epoch: 0 });
const moving = (done: number[], at?: number): Layout => ({
  count: 4,
  to: 6,
  done: new Set(done),
  moving: at,
  epoch: 1,
});
const tag = (id: string, count: number): string => bucketTag("UrEvent", bucketOfText(id, count), count);

describe("retagging", () => {
  it("replaces the model's first tag in a key and the last in a member ending with the instance key", () => {
    const t4 = bucketTag("UrEvent", 1, 4);
    const t6 = bucketTag("UrEvent", 5, 6);
    const other = bucketTag("UrEvent", 2, 4);
    expect(retagFirst("UrEvent", `$RelationshipF:${t4}:self:${other}:x`, t6)).toBe(
      `$RelationshipF:${t6}:self:${other}:x`,
    );
    expect(retagMember("UrEvent", `${other}\u0000\u0000${t4}:a`, t6)).toBe(`${other}\u0000\u0000${t6}:a`);
    expect(retagMember("UrEvent", `$TagF:${t4}:tags:x`, t6)).toBe(`$TagF:${t6}:tags:x`);
    expect(retagFirst("UrEvent", "$Class:{UrOther#1.2}", t6)).toBe("$Class:{UrOther#1.2}");
  });

  it("spells a save's content for another layout's bucket, the hash untouched", () => {
    const values = new Map<string, unknown>([
      ["id", "e1"],
      ["kind", "a"],
      ["n", 3],
    ]);
    const four = saveContent(UrEvent.meta, values);
    const six = saveContent(layoutView(UrEvent.meta, 6), values);
    expect(retagContent("UrEvent", four, tag("e1", 6))).toEqual(six);
  });
});

describe("bucketText", () => {
  it("is the key body, the shardBy key part, or the parent's key body", () => {
    expect(bucketText(UrEvent.meta, `${tag("a:b", 4)}:a:b`, undefined)).toBe("a:b");
    expect(bucketText(UrChild.meta, "{UrChild#0.1}:c", "UrParent:p1")).toBe("p1");
    expect(bucketText(UrChild.meta, "{UrChild#0.1}:c", null)).toBe("c");
    expect(bucketText(UrChild.meta, "{UrChild#0.1}:c", undefined)).toBeUndefined();
  });
});

describe("routeKey", () => {
  const key4 = (id: string): string => `${tag(id, 4)}:${id}`;

  it("keeps a settled layout's bucket, with the guard on its retired set", () => {
    const route = routeKey(UrEvent.meta, settled(4), key4("e1"), "e1");
    expect(route).toMatchObject({ count: 4, bucket: bucketOfText("e1", 4), tag: tag("e1", 4) });
    expect(route !== "wait" && route.guard).toEqual({
      key: `$Retired:${tag("e1", 4)}`,
      members: ["4"],
      absent: true,
    });
  });

  it("routes a finished bucket to the new layout, waits on the moving one, else keeps the old", () => {
    const ob = bucketOfText("e1", 4);
    expect(routeKey(UrEvent.meta, moving([ob]), key4("e1"), "e1")).toMatchObject({
      count: 6,
      tag: tag("e1", 6),
      guard: { members: ["6"] },
    });
    expect(routeKey(UrEvent.meta, moving([], ob), key4("e1"), "e1")).toBe("wait");
    expect(routeKey(UrEvent.meta, moving([(ob + 1) % 4]), key4("e1"), "e1")).toMatchObject({ count: 4 });
  });

  it("spells the intent for the route: a key of layout 4 written in layout 6", () => {
    const values = new Map<string, unknown>([
      ["id", "e1"],
      ["kind", "a"],
      ["n", 3],
    ]);
    const content = saveContent(UrEvent.meta, values);
    const to = routeKey(UrEvent.meta, settled(6), key4("e1"), "e1");
    if (to === "wait") throw new Error("unexpected wait");
    const call = planWrites([
      routedIntent(
        { meta: UrEvent.meta, kind: "save", oldKey: key4("e1"), expected: null, build: () => content },
        to,
      ),
    ]);
    const direct = planWrites([
      {
        meta: layoutView(UrEvent.meta, 6),
        kind: "save",
        oldKey: `${tag("e1", 6)}:e1`,
        expected: null,
        build: () => saveContent(layoutView(UrEvent.meta, 6), values),
      },
    ]);
    expect(call.keys).toEqual(direct.keys);
    expect(call.args).toEqual(direct.args);
  });
});

describe("the guard form", () => {
  it("sends a 'must not hold' guard as a negative count", () => {
    const call = planWrites([], [{ key: "$Retired:{UrEvent#1.2}", members: ["4"], absent: true }]);
    expect(call.args.slice(0, 4)).toEqual([1, 1, -1, "4"]);
  });
});

describe("commute.lua's retired guard", () => {
  it("is a trailing section after the change feed's '0', and absent without one", () => {
    const key = `${tag("e1", 4)}:e1`;
    const plain = planCommute({ op: "incr", meta: UrEvent.meta, key, field: "n", deltas: ["1"] });
    const guarded = planCommute({
      op: "incr",
      meta: UrEvent.meta,
      key,
      field: "n",
      deltas: ["1"],
      retired: { set: `$Retired:${tag("e1", 4)}`, count: 4 },
    });
    expect(guarded.args).toEqual([...plain.args, 0, 1, plain.keys.length + 1, "4"]);
    expect(guarded.keys).toEqual([...plain.keys, `$Retired:${tag("e1", 4)}`]);
  });
});
