/**
 * create() makes new instances only: a key that already holds an instance is refused with
 * KeyConflictError and nothing is written; save() stays the upsert. The refusal is made inside
 * the write script, so concurrent creates of one key (in one process or several) have one winner.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Field, isPopotoError, KeyConflictError, KeyField, Model, SortedField } from "../../src/index.js";
import { caught, dump } from "../support/inspect.js";
import { allKeys, raw, useRedis, workerTarget } from "../support/redis.js";
import { runWorker } from "../support/run-worker.js";

useRedis();

class Writer extends Model("CcWriter", {
  name: KeyField(),
  country: Field({ null: true }),
  born: SortedField({ type: "int", default: 0 }),
}) {}

describe("create() of an existing key", () => {
  it("throws KeyConflictError (KEY_CONFLICT) naming model and key, and leaves the stored instance as it was", async () => {
    await Writer.create({ name: "Dup", country: "A", born: 1900 });
    const before = await dump();
    const error = await caught(() => Writer.create({ name: "Dup" }), KeyConflictError);
    expect(error.code).toBe("KEY_CONFLICT");
    expect(isPopotoError(error, "KEY_CONFLICT")).toBe(true);
    expect(error.model).toBe("CcWriter");
    expect(error.key).toBe("CcWriter:Dup");
    expect(error.from).toBeUndefined();
    expect(error.message).toContain("CcWriter:Dup already exists");
    expect(error.message).toContain("save()");
    expect(await dump()).toEqual(before);
    const stored = await Writer.load({ name: "Dup" });
    expect([stored?.country, stored?.born]).toEqual(["A", 1900]);
  });

  it("save() of a new instance at a taken key still replaces it (the upsert)", async () => {
    await Writer.create({ name: "Dup", country: "A", born: 1900 });
    await new Writer({ name: "Dup" }).save();
    const stored = await Writer.load({ name: "Dup" });
    expect([stored?.country, stored?.born]).toEqual([null, 0]);
    expect(await raw.zrange("$SortF:CcWriter:born", 0, -1, "WITHSCORES")).toEqual(["CcWriter:Dup", "0"]);
  });

  it("create() after delete() works again", async () => {
    const first = await Writer.create({ name: "Again", country: "A" });
    await first.delete();
    const second = await Writer.create({ name: "Again", country: "B" });
    expect((await Writer.load({ name: "Again" }))?.country).toBe("B");
    expect(second.country).toBe("B");
  });

  it("of ten concurrent creates of one key exactly one succeeds", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => Writer.create({ name: "Race", born: i })),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won.length).toBe(1);
    for (const r of lost) expect(r.reason).toBeInstanceOf(KeyConflictError);
    const winner = (won[0] as PromiseFulfilledResult<Writer>).value;
    expect((await Writer.load({ name: "Race" }))?.born).toBe(winner.born);
    expect(await raw.zrange("$SortF:CcWriter:born", 0, -1, "WITHSCORES")).toEqual([
      "CcWriter:Race",
      String(winner.born),
    ]);
  });
});

const WORKER = fileURLToPath(new URL("../support/race-worker.ts", import.meta.url));
interface Outcome {
  name: string;
  ok: boolean;
  key?: string;
  code?: string;
}

describe("create() across processes", () => {
  it("two processes creating the same key at once: one wins, the other gets KEY_CONFLICT", async () => {
    const run = `cc-${Date.now()}`;
    const outcomes = Promise.all([
      runWorker<Outcome>(WORKER, [workerTarget(), run, "same", "same@x"], "left"),
      runWorker<Outcome>(WORKER, [workerTarget(), run, "same", "same@x"], "right"),
    ]);
    const waiter = raw.duplicate();
    try {
      for (let i = 0; i < 2; i++) expect(await waiter.blpop(`race:${run}:ready`, 20)).not.toBeNull();
      await raw.rpush(`race:${run}:go`, "1", "1");
    } finally {
      waiter.disconnect();
    }
    const results = await outcomes;
    expect(results.filter((r) => r.ok).length, JSON.stringify(results)).toBe(1);
    expect(results.filter((r) => !r.ok).map((r) => r.code)).toEqual(["KEY_CONFLICT"]);
    const winner = results.find((r) => r.ok)?.key;
    expect(winner).toMatch(/^Racer:/);
    expect((await allKeys()).filter((k) => k.startsWith("Racer:"))).toEqual([winner]);
  }, 60_000);
});
