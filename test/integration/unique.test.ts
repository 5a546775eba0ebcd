/**
 * UniqueKeyField: a value held by another instance makes save() throw UniqueViolationError
 * (naming model, field, value and holder) and write nothing, also when writers race, including
 * writers in separate processes with their own connections.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  Field,
  KeyField,
  Model,
  PopotoError,
  UniqueKeyField,
  UniqueViolationError,
  isPopotoError,
} from "../../src/index.js";
import { caught, dump, members } from "../support/inspect.js";
import { runWorker } from "../support/run-worker.js";
import { allKeys, raw, useRedis, workerTarget } from "../support/redis.js";

useRedis();

class Racer extends Model("Racer", { name: KeyField(), email: UniqueKeyField() }) {}
class Account extends Model("Account", {
  handle: UniqueKeyField(),
  email: UniqueKeyField(),
  bio: Field({ null: true }),
}) {}
class Seat extends Model("Seat", { row: KeyField(), number: UniqueKeyField({ type: "int" }) }) {}

describe("uniqueness", () => {
  it("refuses a value another instance holds, naming model, field, value and holder", async () => {
    await Racer.create({ name: "ann", email: "x@y" });
    const before = await dump();
    const error = await caught(() => Racer.create({ name: "bob", email: "x@y" }), UniqueViolationError);
    expect(error).toBeInstanceOf(PopotoError);
    expect(error.code).toBe("UNIQUE_VIOLATION");
    expect(isPopotoError(error, "UNIQUE_VIOLATION")).toBe(true);
    expect(error.model).toBe("Racer");
    expect(error.field).toBe("email");
    expect(error.value).toBe("x@y");
    expect(error.holder).toBe("Racer:x@y:ann");
    expect(error.message).toContain("Racer");
    expect(error.message).toContain("email");
    expect(error.message).toContain("x@y");
    expect(error.message).toContain("Racer:x@y:ann");
    expect(await dump()).toEqual(before);
    expect(await raw.exists("Racer:x@y:bob")).toBe(0);
  });

  it("names the field that clashes when a model has several unique fields", async () => {
    await Account.create({ handle: "h1", email: "e1" });
    const byEmail = await caught(() => Account.create({ handle: "h2", email: "e1" }), UniqueViolationError);
    expect(byEmail.field).toBe("email");
    expect(byEmail.holder).toBe("Account:e1:h1");
    const byHandle = await caught(() => Account.create({ handle: "h1", email: "e2" }), UniqueViolationError);
    expect(byHandle.field).toBe("handle");
    expect(await members("$Class:Account")).toEqual(["Account:e1:h1"]);
  });

  it("saving the holder itself again is an update, not a violation", async () => {
    const a = await Racer.create({ name: "ann", email: "x@y" });
    await a.save();
    await new Racer({ name: "ann", email: "x@y" }).save();
    // create() refuses the taken key itself (KEY_CONFLICT), not its unique value.
    expect((await caught(() => Racer.create({ name: "ann", email: "x@y" }), PopotoError)).code).toBe(
      "KEY_CONFLICT",
    );
    expect(await members("$UniqueKeyF:Racer:email:x@y")).toEqual(["Racer:x@y:ann"]);
  });

  it("refuses an update to a value another instance holds, leaving both rows as they were", async () => {
    await Racer.create({ name: "ann", email: "a@x" });
    const bob = await Racer.create({ name: "bob", email: "b@x" });
    const before = await dump();
    bob.email = "a@x";
    const error = await caught(() => bob.save(), UniqueViolationError);
    expect(error.holder).toBe("Racer:a@x:ann");
    expect(await dump()).toEqual(before);
  });

  it("checks int unique values by their key part", async () => {
    await Seat.create({ row: "A", number: 7 });
    const error = await caught(() => Seat.create({ row: "B", number: 7 }), UniqueViolationError);
    expect(error.value).toBe(7);
    expect(error.holder).toBe("Seat:7:A");
    expect(await members("$UniqueKeyF:Seat:number:7")).toEqual(["Seat:7:A"]);
  });

  it("frees a value when its holder is deleted", async () => {
    const ann = await Racer.create({ name: "ann", email: "x@y" });
    await ann.delete();
    await Racer.create({ name: "bob", email: "x@y" });
    expect(await members("$UniqueKeyF:Racer:email:x@y")).toEqual(["Racer:x@y:bob"]);
  });

  it("lets exactly one of many concurrent creates win", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `n${i}`);
    const results = await Promise.allSettled(names.map((name) => Racer.create({ name, email: "same@x" })));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won.length).toBe(1);
    expect(lost.length).toBe(9);
    for (const r of lost) expect(r.reason).toBeInstanceOf(UniqueViolationError);
    const winner = (won[0] as PromiseFulfilledResult<Racer>).value.redisKey;
    for (const r of lost) expect((r.reason as UniqueViolationError).holder).toBe(winner);
    expect(await members("$UniqueKeyF:Racer:email:same@x")).toEqual([winner]);
    expect(await members("$Class:Racer")).toEqual([winner]);
    expect((await allKeys()).filter((k) => k.startsWith("Racer:"))).toEqual([winner]);
  });
});

const WORKER = fileURLToPath(new URL("../support/race-worker.ts", import.meta.url));

interface Outcome {
  name: string;
  ok: boolean;
  key?: string;
  code?: string;
  holder?: string;
}

const runRace = (run: string, name: string, email: string): Promise<Outcome> =>
  runWorker<Outcome>(WORKER, [workerTarget(), run, name, email], name);

describe("uniqueness across processes", () => {
  it("two processes with their own connections race for one value: exactly one wins", async () => {
    for (let round = 0; round < 2; round++) {
      await raw.flushdb();
      const run = `r${round}-${Date.now()}`;
      const outcomes = Promise.all([runRace(run, "left", "race@x"), runRace(run, "right", "race@x")]);
      // start both at once, when both are connected and waiting
      const waiter = raw.duplicate();
      try {
        for (let i = 0; i < 2; i++) expect(await waiter.blpop(`race:${run}:ready`, 90)).not.toBeNull();
        await raw.rpush(`race:${run}:go`, "1", "1");
      } finally {
        waiter.disconnect();
      }
      const results = await outcomes;
      const winners = results.filter((r) => r.ok);
      const losers = results.filter((r) => !r.ok);
      expect(winners.length, JSON.stringify(results)).toBe(1);
      expect(losers.length).toBe(1);
      expect(losers[0]?.code).toBe("UNIQUE_VIOLATION");
      expect(losers[0]?.holder).toBe(winners[0]?.key);
      expect(await members("$UniqueKeyF:Racer:email:race@x")).toEqual([winners[0]?.key]);
      expect(await members("$Class:Racer")).toEqual([winners[0]?.key]);
      expect((await allKeys()).filter((k) => k.startsWith("Racer:"))).toEqual([winners[0]?.key]);
    }
  }, 60_000);
});
