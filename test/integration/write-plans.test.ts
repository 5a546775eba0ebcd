/**
 * The planner's cases of test/unit/write-plans.test.ts, sent to Redis as planned: each call's
 * keys and arguments go to write.lua / commute.lua as they are, and what Redis then holds is
 * checked (the script's reply, the bytes written, and every index entry by checkIndexes).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { KeyField, Model, SortedField } from "../../src/index.js";
import { getConnection } from "../../src/connection/connection.js";
import { runScript, type ScriptReply } from "../../src/scripts/run-script.js";
import { scripts } from "../../src/scripts/scripts.generated.js";
import { saveIntent } from "../../src/write/execute-write.js";
import { planCommute, type CommuteIntent } from "../../src/write/plan-commute.js";
import { dirtySaveIntent } from "../../src/write/plan-save.js";
import { planWrites, type WriteIntent } from "../../src/write/plan-write.js";
import { layoutKey, raw, useRedis } from "../support/redis.js";
import { bytes, meta, PBook, PTag, row, snapshotOf, storedOf } from "../support/write-plan-models.js";

useRedis();

class PPrice extends Model("PPrice", { code: KeyField(), rank: SortedField({ type: "decimal" }) }) {}

const text = (reply: ScriptReply | undefined): string =>
  Buffer.isBuffer(reply) ? reply.toString() : String(reply);

/** Sends one planned write.lua call as it is; returns the script's status. */
const sendWrite = async (intent: WriteIntent): Promise<string> => {
  const call = planWrites([intent]);
  const reply = (await runScript(getConnection(), scripts.write, call.keys, call.args)) as ScriptReply[];
  return text(reply[0]);
};
const sendCommute = async (intent: CommuteIntent): Promise<string> => {
  const call = planCommute(intent);
  const reply = (await runScript(getConnection(), scripts.commute, call.keys, call.args)) as ScriptReply[];
  return text(reply[0]);
};

/**
 * The calls name keys as the connected layout spells them (`{PBook}:Dune` on a cluster), as the
 * library's callers do: planned after connect(), through the key module's rules. `raw` takes the
 * standalone spelling on both layouts (test/support/cluster-keys.ts).
 */
const DUNE = "PBook:Dune";
const dune = (): string => layoutKey(DUNE);
/** A row's changes with related keys in the layout's spelling (a stored relationship holds the key). */
const inLayoutValues = (changes: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(changes).map(([f, v]) => [f, Array.isArray(v) ? v.map((k) => layoutKey(String(k))) : v]),
  );

const saveOf = (changes: Record<string, unknown>, ifUnchanged = false): WriteIntent =>
  dirtySaveIntent(
    meta,
    dune(),
    new Map(Object.entries({ ...row, ...inLayoutValues(changes) })),
    storedOf(row),
    snapshotOf(row),
    ifUnchanged,
  ).intent;

beforeEach(async () => {
  await PTag.create({ name: "a" });
  await PBook.create(row as never);
});

describe("write.lua calls as planned", () => {
  const cases: [string, Record<string, unknown>][] = [
    ["a plain field", { sold: 5 }],
    ["an unpartitioned sorted field", { pages: 500 }],
    ["a partition field", { genre: "fantasy" }],
    ["a many-relationship", { tags: ["PTag:a"] }],
    ["a key move", { title: "Dune 2" }],
  ];
  for (const [name, changes] of cases)
    it(`${name}: applied, bytes and index entries as planned`, async () => {
      expect(await sendWrite(saveOf(changes))).toBe("OK");
      const key = changes["title"] === undefined ? DUNE : `PBook:${String(changes["title"])}`;
      for (const [field, value] of Object.entries(inLayoutValues(changes)))
        expect((await raw.hgetBuffer(key, field))?.toString("hex"), field).toBe(
          bytes(field, value).toString("hex"),
        );
      expect((await PBook.checkIndexes()).differences).toEqual([]);
    });

  it("ifUnchanged against the loaded bytes: applied; then stale: nothing written", async () => {
    expect(await sendWrite(saveOf({ sold: 1 }, true))).toBe("OK");
    expect(await sendWrite(saveOf({ sold: 2 }, true))).toBe("STALE");
    expect((await raw.hgetBuffer("PBook:Dune", "sold"))?.toString("hex")).toBe("01");
  });

  it("a create over an existing row plans from nothing stored: STALE, nothing written", async () => {
    const { intent } = saveIntent(meta, new Map(Object.entries({ ...row, sold: 9 })), undefined, undefined);
    expect(await sendWrite(intent)).toBe("STALE");
    expect((await raw.hgetBuffer("PBook:Dune", "sold"))?.toString("hex")).toBe("00");
  });

  it("a delete: every entry removed", async () => {
    expect(await sendWrite({ meta, kind: "delete", oldKey: dune(), expected: snapshotOf(row) })).toBe("OK");
    expect(await raw.exists("PBook:Dune")).toBe(0);
    expect((await PBook.checkIndexes()).differences).toEqual([]);
    expect(await raw.scard("$Class:PBook")).toBe(0);
  });
});

describe("commute.lua calls as planned", () => {
  it("increments, several deltas in one call, and related adds", async () => {
    expect(
      await sendCommute({ op: "incr", meta, key: dune(), field: "sold", deltas: ["2", "-1", "5"] }),
    ).toBe("OK");
    expect((await raw.hgetBuffer("PBook:Dune", "sold"))?.toString("hex")).toBe("06");
    expect(await sendCommute({ op: "incr", meta, key: dune(), field: "pages", deltas: ["-2"] })).toBe("OK");
    expect(await raw.zscore("$SortF:PBook:pages", "PBook:Dune")).toBe("410");
    expect(
      await sendCommute({ op: "add", meta, key: dune(), field: "tags", targets: [layoutKey("PTag:a")] }),
    ).toBe("OK");
    expect((await PBook.checkIndexes()).differences).toEqual([]);
  });

  it("a decimal: 0.1 + 0.2 in one call", async () => {
    await PPrice.create({ code: "x", rank: "0.1" });
    const intent = {
      op: "incr",
      meta: PPrice.meta,
      key: layoutKey("PPrice:x"),
      field: "rank",
      deltas: ["0.2"],
    } as const;
    expect(await sendCommute(intent)).toBe("OK");
    expect((await PPrice.load({ code: "x" }))?.rank).toBe("0.3");
    expect((await PPrice.checkIndexes()).differences).toEqual([]);
  });
});
