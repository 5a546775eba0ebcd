/**
 * Fault: the server forgets popoto's Lua scripts (SCRIPT FLUSH; a restart or failover does the
 * same). The next save, query or delete reloads them transparently (EVALSHA → NOSCRIPT → EVAL),
 * also when the writes go through a bulk pipeline. Runs against a redis-server of its own.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  KeyField,
  Model,
  Relationship,
  SortedField,
  UniqueField,
  connect,
  disconnect,
} from "../../src/index.js";
import { scripts } from "../../src/scripts/scripts.generated.js";
import { usePrivateServer } from "../support/redis-server.js";

const server = usePrivateServer();
let admin: Redis;

class Shelf extends Model("Shelf", { name: KeyField() }) {}
class Item extends Model("Item", {
  sku: KeyField(),
  barcode: UniqueField({ null: true }),
  shelf: Relationship(Shelf, { null: true }),
  qty: SortedField({ type: "int" }),
}) {}

beforeAll(async () => {
  admin = server.current.client();
  await connect({ url: server.current.url() });
});

beforeEach(async () => {
  await admin.flushall();
  await admin.call("CONFIG", "RESETSTAT");
});

afterAll(async () => {
  await disconnect();
});

const flush = async (): Promise<void> => {
  await admin.call("SCRIPT", "FLUSH");
  expect(await admin.call("SCRIPT", "EXISTS", scripts.write.sha, scripts.query.sha)).toEqual([0, 0]);
};

/** `calls` of a command from INFO commandstats (0 when never called). */
async function calls(command: string): Promise<{ calls: number; failed: number }> {
  const info = await admin.info("commandstats");
  const line = info.split("\n").find((l) => l.startsWith(`cmdstat_${command}:`));
  const field = (name: string): number => Number(line?.match(new RegExp(`${name}=(\\d+)`))?.[1] ?? 0);
  return { calls: field("calls"), failed: field("failed_calls") + field("rejected_calls") };
}

const expectClean = async (): Promise<void> => {
  for (const model of [Shelf, Item]) expect((await model.checkIndexes()).differences).toEqual([]);
};

describe("SCRIPT FLUSH between calls", () => {
  it("save, update, query, count, increment, getOrCreate and delete each reload the scripts", async () => {
    await flush();
    const shelf = await Shelf.create({ name: "A" });
    const item = await Item.create({ sku: "x1", barcode: "111", shelf, qty: 3 });
    await flush();
    item.qty = 5;
    await item.save();
    await flush();
    expect((await Item.query.filter({ shelf: "Shelf:A", qty__gte: 4 })).map((i) => i.sku)).toEqual(["x1"]);
    await flush();
    // two indexes: a query.lua count (one index alone is a plain SCARD, no script)
    expect(await Item.query.count({ barcode: "111", qty__gte: 1 })).toBe(1);
    await flush();
    expect(await item.atomicIncrement("qty", 2)).toBe(7);
    await flush();
    const [again, created] = await Item.getOrCreate({ sku: "x1" });
    expect([again.qty, created]).toEqual([7, false]);
    await flush();
    item.barcode = "222";
    await item.save({ fields: ["barcode"] });
    await flush();
    expect(await item.delete()).toBe(true);
    expect(await Item.query.count()).toBe(0);
    expect(await Item.query.filter({ shelf: "Shelf:A" })).toEqual([]);
    await expectClean();
    // the reloaded scripts are cached again
    expect(await admin.call("SCRIPT", "EXISTS", scripts.write.sha, scripts.query.sha)).toEqual([1, 1]);
  });

  it("a unique clash after a flush is still reported as UniqueViolationError", async () => {
    await Item.create({ sku: "a", barcode: "dup", shelf: null, qty: 1 });
    await flush();
    await expect(Item.create({ sku: "b", barcode: "dup", shelf: null, qty: 1 })).rejects.toMatchObject({
      code: "UNIQUE_VIOLATION",
      holder: "Item:a",
    });
    await expectClean();
  });
});

describe("SCRIPT FLUSH before a bulk pipeline", () => {
  it("bulkCreate writes every instance exactly once", async () => {
    await Shelf.create({ name: "A" });
    await flush();
    const items = Array.from({ length: 120 }, (_, i) => ({
      sku: `s${i}`,
      barcode: `b${i}`,
      shelf: i % 2 === 0 ? "Shelf:A" : null,
      qty: i,
    }));
    const created = await Item.bulkCreate(items, { batchSize: 50 });
    expect(created.map((i) => i.redisKey)).toEqual(items.map((i) => `Item:s${i.sku.slice(1)}`));
    expect(await Item.query.count()).toBe(120);
    expect(await Item.query.filter({ shelf: "Shelf:A" }).count()).toBe(60);
    expect((await Item.query.filter({ qty__gte: 100 }).orderBy("qty")).map((i) => i.qty)).toEqual(
      Array.from({ length: 20 }, (_, i) => 100 + i),
    );
    await expectClean();
    // how the pipeline recovered: NOSCRIPT replies, then the script sent once with EVAL
    const evalsha = await calls("evalsha");
    const evals = await calls("eval");
    expect(
      evals.calls + (await calls("script|load")).calls,
      "the script was sent again",
    ).toBeGreaterThanOrEqual(1);
    // successful script runs: the shelf, each of the 120 items exactly once, and the range query
    // (the two counts are one SCARD each, no script; the first batch's 50 NOSCRIPT replies ran nothing; popoto re-sends that batch one write
    // at a time, so the recovery costs a round trip per instance of the batch)
    expect(evalsha.calls - evalsha.failed + evals.calls - evals.failed).toBe(1 + 120 + 1);
    expect(evalsha.failed, "NOSCRIPT replies: the first pipeline, then one per script").toBeLessThanOrEqual(
      50 + 1 + 1,
    );
  });

  it("bulkUpdate and bulkDelete after a flush", async () => {
    const items = await Item.bulkCreate(
      Array.from({ length: 30 }, (_, i) => ({ sku: `u${i}`, barcode: null, shelf: null, qty: 0 })),
    );
    await flush();
    for (const item of items) item.qty = 9;
    expect(await Item.bulkUpdate(items, { fields: ["qty"] })).toBe(30);
    expect(await Item.query.count({ qty: 9 })).toBe(30);
    await flush();
    expect(await Item.bulkDelete(items)).toBe(30);
    expect(await Item.query.count()).toBe(0);
    await expectClean();
  });
});
