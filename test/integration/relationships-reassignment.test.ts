/**
 * No ghost entries, ever: reassigning or clearing a relationship moves the referrer between
 * reverse sets, judged by what Redis holds, not by what the instance remembers. Holds for
 * instances from get, filter and all, for hand-built instances, for stale copies, and for
 * concurrent writers in this process and in other processes.
 */
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Field, KeyField, Model, Reference, Relationship, SortedField } from "../../src/index.js";
import { members, zmembers } from "../support/inspect.js";
import { hexOf, raw, signalClient, useRedis, workerTarget } from "../support/redis.js";
import { runWorker } from "../support/run-worker.js";
import { expectExactReverseSets, reverseSets } from "../support/reverse-sets.js";

useRedis();

// Keep in step with test/support/rel-worker.ts, which writes these models from other processes.
class Guest extends Model("Guest", { name: KeyField() }) {}
class Seat extends Model("Seat", {
  id: KeyField(),
  guest: Relationship(Guest),
  row: SortedField({ type: "int" }),
  note: Field({ null: true }),
}) {}

/** A sorted field partitioned by the relationship: one sorted set per guest. */
class Ticket extends Model("Ticket", {
  id: KeyField(),
  guest: Relationship(Guest),
  price: SortedField({ type: "int", partitionBy: "guest" }),
}) {}

const ALICE = "$RelationshipF:Seat:guest:Guest:Alice";
const BOB = "$RelationshipF:Seat:guest:Guest:Bob";
const CAROL = "$RelationshipF:Seat:guest:Guest:Carol";
const NONE = "$RelationshipF:Seat:guest:None";

async function guests(): Promise<{ alice: Guest; bob: Guest; carol: Guest }> {
  return {
    alice: await Guest.create({ name: "Alice" }),
    bob: await Guest.create({ name: "Bob" }),
    carol: await Guest.create({ name: "Carol" }),
  };
}

const check = (): Promise<void> => expectExactReverseSets("Seat", ["guest"]);

describe("reassignment moves the referrer between reverse sets", () => {
  it("an instance from get()", async () => {
    const { alice, bob } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    const seat = await Seat.query.get({ id: "1" });
    seat!.guest = bob;
    await seat!.save();
    expect(await members(BOB)).toEqual(["Seat:1"]);
    expect(await raw.exists(ALICE)).toBe(0);
    expect((await Seat.query.filter({ guest: alice })).length).toBe(0);
    await check();
  });

  it("an instance from filter()", async () => {
    const { alice, bob } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    await Seat.create({ id: "2", guest: alice, row: 2 });
    const [first] = await Seat.query.filter({ row__lte: 1 });
    first!.guest = bob;
    await first!.save();
    expect(await members(ALICE)).toEqual(["Seat:2"]);
    expect(await members(BOB)).toEqual(["Seat:1"]);
    expect((await Seat.query.filter({ guest: alice })).map((s) => s.id)).toEqual(["2"]);
    await check();
  });

  it("instances from all()", async () => {
    const { alice, bob, carol } = await guests();
    for (const id of ["1", "2", "3"]) await Seat.create({ id, guest: alice, row: Number(id) });
    for (const seat of await Seat.query.all()) {
      seat.guest = seat.id === "2" ? carol : bob;
      await seat.save();
    }
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(BOB)).toEqual(["Seat:1", "Seat:3"]);
    expect(await members(CAROL)).toEqual(["Seat:2"]);
    await check();
  });

  it("an instance from filter().include(), whose value is the loaded target", async () => {
    const { alice, bob } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    const [seat] = await Seat.query.filter({ guest__name: "Alice" }).include("guest");
    expect(seat!.guest).toBeInstanceOf(Guest);
    seat!.guest = bob;
    await seat!.save();
    expect(await members(BOB)).toEqual(["Seat:1"]);
    expect(await raw.exists(ALICE)).toBe(0);
  });

  it("assigning a key string or a Reference works as an instance does", async () => {
    const { alice } = await guests();
    const seat = await Seat.create({ id: "1", guest: alice, row: 1 });
    seat.guest = "Guest:Bob" as unknown as Guest;
    await seat.save();
    expect(await members(BOB)).toEqual(["Seat:1"]);
    seat.guest = new Reference<Guest>(Guest, "Guest:Carol");
    await seat.save();
    expect(await members(CAROL)).toEqual(["Seat:1"]);
    expect(await raw.exists(BOB)).toBe(0);
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await hexOf("Seat:1", "guest")).toBe("ab" + Buffer.from("Guest:Carol").toString("hex"));
  });

  it("saving the same target again changes nothing", async () => {
    const { alice } = await guests();
    const seat = await Seat.create({ id: "1", guest: alice, row: 1 });
    seat.note = "again";
    await seat.save();
    expect(await members(ALICE)).toEqual(["Seat:1"]);
    expect(await raw.exists(NONE)).toBe(0);
  });
});

describe("a sorted field partitioned by the relationship", () => {
  it("names the partition with the related key escaped again as one part, as Popoto does", async () => {
    // Popoto appends str(instance), the escaped key, and DB_key cleans it: "/" doubles, "-" and ":" escape.
    const acme = await Guest.create({ name: "Ac/-me" }); // key Guest:Ac///-me
    await Ticket.create({ id: "t", guest: acme, price: 5 });
    expect(await zmembers("$SortF:Ticket:price:Guest{&#58;}Ac///////-me")).toEqual({ "Ticket:t": 5 });
    expect(await members("$RelationshipF:Ticket:guest:Guest:Ac///-me")).toEqual(["Ticket:t"]);
    // A row Python wrote into that partition is found by a partition query.
    await raw.hset("Ticket:p", "id", Buffer.from("a170", "hex"));
    await raw.hset(
      "Ticket:p",
      "guest",
      Buffer.from(`ae${Buffer.from("Guest:Ac///-me").toString("hex")}`, "hex"),
    );
    await raw.hset("Ticket:p", "price", Buffer.from("07", "hex"));
    await raw.sadd("$Class:Ticket", "Ticket:p");
    await raw.zadd("$SortF:Ticket:price:Guest{&#58;}Ac///////-me", 7, "Ticket:p");
    const found = await Ticket.query.filter({ guest: acme, price__gte: 1 });
    expect(found.map((t) => [t.id, t.price])).toEqual([
      ["t", 5],
      ["p", 7],
    ]);
  });

  it("moves to the new target's partition with the reverse set, also from a stale copy", async () => {
    const { alice, bob, carol } = await guests();
    await Ticket.create({ id: "t", guest: alice, price: 5 });
    expect(await zmembers("$SortF:Ticket:price:Guest{&#58;}Alice")).toEqual({ "Ticket:t": 5 });
    const stale = await Ticket.load({ id: "t" });
    const [fresh] = await Ticket.query.filter({ guest: alice, price__gte: 1 });
    fresh!.guest = bob;
    await fresh!.save();
    expect(await raw.exists("$SortF:Ticket:price:Guest{&#58;}Alice")).toBe(0);
    expect(await zmembers("$SortF:Ticket:price:Guest{&#58;}Bob")).toEqual({ "Ticket:t": 5 });
    stale!.guest = carol; // stale still believes the ticket is in Alice's partition
    stale!.price = 7;
    await stale!.save();
    expect(await raw.exists("$SortF:Ticket:price:Guest{&#58;}Bob")).toBe(0);
    expect(await zmembers("$SortF:Ticket:price:Guest{&#58;}Carol")).toEqual({ "Ticket:t": 7 });
    stale!.guest = null;
    await stale!.save();
    expect(await zmembers("$SortF:Ticket:price:None")).toEqual({ "Ticket:t": 7 });
    expect((await Ticket.query.filter({ guest: null, price__gt: 6 })).map((t) => t.id)).toEqual(["t"]);
    await expectExactReverseSets("Ticket", ["guest"]);
  });
});

describe("clearing and setting from null", () => {
  it("clearing moves the referrer to the None set; setting again moves it out", async () => {
    const { alice, bob } = await guests();
    const seat = await Seat.create({ id: "1", guest: alice, row: 1 });
    seat.guest = null;
    await seat.save();
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(NONE)).toEqual(["Seat:1"]);
    expect(await hexOf("Seat:1", "guest")).toBe("c0");
    expect((await Seat.query.filter({ guest: null })).map((s) => s.id)).toEqual(["1"]);

    const loaded = await Seat.load({ id: "1" });
    expect(loaded?.guest).toBeNull();
    loaded!.guest = bob;
    await loaded!.save();
    expect(await raw.exists(NONE)).toBe(0);
    expect(await members(BOB)).toEqual(["Seat:1"]);
    await check();
  });

  it("clearing an instance from filter() works too", async () => {
    const { alice } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    const [seat] = await Seat.query.filter({ guest: alice });
    seat!.guest = null;
    await seat!.save();
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(NONE)).toEqual(["Seat:1"]);
  });
});

describe("hand-built instances with the key of a stored row", () => {
  it("a new target: the stored target's set loses the row", async () => {
    const { alice, bob } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    await new Seat({ id: "1", guest: bob, row: 1 }).save();
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(BOB)).toEqual(["Seat:1"]);
    await check();
  });

  it("a key string as the new target", async () => {
    const { alice } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    await new Seat({ id: "1", guest: "Guest:Bob", row: 1 }).save();
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(BOB)).toEqual(["Seat:1"]);
  });

  it("no target: the stored target's set loses the row, the None set gains it", async () => {
    const { alice } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    await new Seat({ id: "1", row: 1 }).save();
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(NONE)).toEqual(["Seat:1"]);
  });

  it("a hand-built instance over a stored null: the None set loses the row", async () => {
    const { bob } = await guests();
    await Seat.create({ id: "1", row: 1 });
    await new Seat({ id: "1", guest: bob, row: 1 }).save();
    expect(await raw.exists(NONE)).toBe(0);
    expect(await members(BOB)).toEqual(["Seat:1"]);
  });

  it("a new instance saved over a stored row (the upsert) behaves the same", async () => {
    const { alice, bob } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    await new Seat({ id: "1", guest: bob, row: 1 }).save();
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(BOB)).toEqual(["Seat:1"]);
  });
});

describe("stale instances", () => {
  it("a copy loaded before another writer reassigned: its reassignment leaves no ghost in either set", async () => {
    const { alice, bob, carol } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    const early = await Seat.load({ id: "1" });
    const other = await Seat.load({ id: "1" });
    other!.guest = bob;
    await other!.save();
    early!.guest = carol; // early still believes the stored guest is Alice
    await early!.save();
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await raw.exists(BOB)).toBe(0);
    expect(await members(CAROL)).toEqual(["Seat:1"]);
    await check();
  });

  it("a stale copy that changes another field keeps the other writer's guest, and the sets follow the hash", async () => {
    const { alice, bob } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    const early = await Seat.load({ id: "1" });
    const other = await Seat.load({ id: "1" });
    other!.guest = bob;
    await other!.save();
    early!.note = "late";
    await early!.save();
    // A save writes the fields this copy changed (note), not its stale guest.
    expect(await hexOf("Seat:1", "guest")).toBe("a9" + Buffer.from("Guest:Bob").toString("hex"));
    expect(await members(BOB)).toEqual(["Seat:1"]);
    expect(await raw.exists(ALICE)).toBe(0);
    expect((await Seat.load({ id: "1" }))?.note).toBe("late");
    await check();
  });

  it("a stale copy whose row was cleared by another writer", async () => {
    const { alice, carol } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    const early = await Seat.load({ id: "1" });
    const other = await Seat.load({ id: "1" });
    other!.guest = null;
    await other!.save();
    early!.guest = carol;
    await early!.save();
    expect(await raw.exists(NONE)).toBe(0);
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(CAROL)).toEqual(["Seat:1"]);
  });

  it("a copy whose stored value another process changed", async () => {
    const { alice, carol } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    const early = await Seat.load({ id: "1" });
    const [outcome] = await raceWorkers("1", ["Guest:Bob"]);
    expect(outcome?.ok).toBe(true);
    expect(await members(BOB)).toEqual(["Seat:1"]);
    early!.guest = carol;
    await early!.save();
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await raw.exists(BOB)).toBe(0);
    expect(await members(CAROL)).toEqual(["Seat:1"]);
  });
});

describe("owner key change", () => {
  it("moves its membership: old owner key out of the reverse set, new key in", async () => {
    const { alice } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    await Seat.create({ id: "9", guest: alice, row: 9 });
    const seat = await Seat.load({ id: "1" });
    seat!.id = "2";
    await seat!.save();
    expect(await members(ALICE)).toEqual(["Seat:2", "Seat:9"]);
    expect(await raw.exists("Seat:1")).toBe(0);
    expect((await Seat.query.filter({ guest: alice })).map((s) => s.id).sort()).toEqual(["2", "9"]);
    await check();
  });

  it("a key change and a reassignment in one save", async () => {
    const { alice, bob } = await guests();
    const seat = await Seat.create({ id: "1", guest: alice, row: 1 });
    seat.id = "2";
    seat.guest = bob;
    await seat.save();
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(BOB)).toEqual(["Seat:2"]);
  });

  it("a key change of a null relationship moves the key within the None set", async () => {
    const seat = await Seat.create({ id: "1", row: 1 });
    seat.id = "2";
    await seat.save();
    expect(await members(NONE)).toEqual(["Seat:2"]);
  });

  it("a key change of an instance from filter() whose target another writer changed", async () => {
    const { alice, bob } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    const [stale] = await Seat.query.filter({ guest: alice });
    const other = await Seat.load({ id: "1" });
    other!.guest = bob;
    await other!.save();
    stale!.id = "2";
    await stale!.save();
    // The move carries the stored hash over and writes what this copy changed (the id only).
    expect(await raw.exists(ALICE)).toBe(0);
    expect(await members(BOB)).toEqual(["Seat:2"]);
    await check();
  });
});

describe("concurrent writers", () => {
  it("many stale copies reassigning one row at once (Promise.all): it ends in exactly one set", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `G${i}`);
    const all = await Promise.all(names.map((name) => Guest.create({ name })));
    await Seat.create({ id: "1", guest: all[0]!, row: 1 });
    const copies = await Promise.all(all.map(() => Seat.load({ id: "1" })));
    await Promise.all(
      copies.map((copy, i) => {
        copy!.guest = all[(i + 1) % all.length]!;
        return copy!.save();
      }),
    );
    const sets = await reverseSets("Seat", ["guest"]);
    expect(Object.values(sets)).toEqual([["Seat:1"]]);
    await check();
  });

  it("reassignments and clears of several rows interleaved (Promise.all)", async () => {
    const { alice, bob, carol } = await guests();
    const targets = [alice, bob, carol, null];
    for (const id of ["1", "2", "3"]) await Seat.create({ id, guest: alice, row: Number(id) });
    const rounds = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        const copy =
          i % 2
            ? await Seat.load({ id: String((i % 3) + 1) })
            : new Seat({ id: String((i % 3) + 1), row: i });
        copy!.guest = targets[i % targets.length] ?? null;
        return copy!.save();
      }),
    );
    expect(rounds).toHaveLength(24);
    await check();
  });

  it("separate processes, each with its own connection, reassigning one row from stale copies", async () => {
    await guests();
    await Seat.create({ id: "1", guest: "Guest:Alice", row: 1 });
    const wanted = ["Guest:Bob", "Guest:Carol", "null", "Guest:Dan", "Guest:Eve"];
    const outcomes = await raceWorkers("1", wanted);
    expect(outcomes.map((o) => o.ok)).toEqual(wanted.map(() => true));
    const stored = (await raw.hgetBuffer("Seat:1", "guest"))!;
    const note = await raw.hget("Seat:1", "note");
    const sets = await reverseSets("Seat", ["guest"]);
    expect(Object.values(sets)).toEqual([["Seat:1"]]);
    expect(stored.toString("hex")).not.toBe("ab" + Buffer.from("Guest:Alice").toString("hex"));
    expect(note).toBeTruthy();
    await check();
  }, 60_000);
});

describe("random sequences of writes keep the reverse sets exact", () => {
  it("the check itself fails on a ghost entry and on a missing one", async () => {
    const { alice } = await guests();
    await Seat.create({ id: "1", guest: alice, row: 1 });
    await check();
    await raw.sadd(BOB, "Seat:1");
    await expect(check()).rejects.toThrow();
    await raw.del(BOB, ALICE);
    await expect(check()).rejects.toThrow();
  });

  type Op =
    | { kind: "assign"; seat: number; guest: number | null; how: "load" | "filter" | "hand" | "stale" }
    | { kind: "rename"; seat: number; to: number }
    | { kind: "delete"; seat: number; how: "load" | "hand" | "stale" };
  const guestArb = fc.option(fc.integer({ min: 0, max: 2 }), { nil: null });
  const seatArb = fc.integer({ min: 0, max: 3 });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant("assign" as const),
      seat: seatArb,
      guest: guestArb,
      how: fc.constantFrom("load" as const, "filter" as const, "hand" as const, "stale" as const),
    }),
    fc.record({ kind: fc.constant("rename" as const), seat: seatArb, to: seatArb }),
    fc.record({
      kind: fc.constant("delete" as const),
      seat: seatArb,
      how: fc.constantFrom("load" as const, "hand" as const, "stale" as const),
    }),
  );

  it("after every step, each row is in exactly the set its hash names", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        await raw.flushdb();
        const people = [await Guest.create({ name: "Alice" }), await Guest.create({ name: "Bob" }), null];
        const stale = new Map<string, Seat>();
        for (const id of ["0", "1"]) {
          await Seat.create({ id, guest: people[0], row: 1 });
          stale.set(id, (await Seat.load({ id }))!);
        }
        for (const op of ops) {
          const id = String(op.seat);
          if (op.kind === "assign") {
            let seat: Seat | null | undefined;
            if (op.how === "load") seat = await Seat.load({ id });
            else if (op.how === "filter") seat = (await Seat.query.filter({ id }))[0];
            else if (op.how === "stale") seat = stale.get(id);
            else seat = new Seat({ id, row: 1 });
            if (!seat) continue;
            seat.guest = op.guest === null ? null : (people[op.guest] ?? null);
            await seat.save().catch((error: { code?: string }) => {
              if (error.code !== "KEY_CONFLICT") throw error;
            });
          } else if (op.kind === "rename") {
            const seat = await Seat.load({ id });
            if (!seat || op.to === op.seat) continue;
            seat.id = String(op.to);
            await seat.save().catch((error: { code?: string }) => {
              if (error.code !== "KEY_CONFLICT") throw error;
            });
          } else {
            const seat =
              op.how === "load"
                ? await Seat.load({ id })
                : op.how === "stale"
                  ? stale.get(id)
                  : new Seat({ id, row: 1 });
            await seat?.delete();
          }
          await check();
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});

interface Outcome {
  guest: string;
  ok: boolean;
  code?: string;
  message?: string;
}

const WORKER = fileURLToPath(new URL("../support/rel-worker.ts", import.meta.url));

/** Starts one worker per guest, waits until each has loaded its copy of the seat, then lets them all save at once. */
async function raceWorkers(seat: string, guestKeys: readonly string[]): Promise<Outcome[]> {
  const run = Math.random().toString(36).slice(2);
  const signal = signalClient();
  try {
    const finished = guestKeys.map((guest) =>
      runWorker<Outcome>(WORKER, [workerTarget(), run, seat, guest], guest),
    );
    for (const _ of guestKeys) {
      const ready = await signal.blpop(`relrace:${run}:ready`, 90);
      if (!ready) throw new Error("a worker never became ready");
    }
    await signal.rpush(`relrace:${run}:go`, ...guestKeys.map(() => "go"));
    return await Promise.all(finished);
  } finally {
    await signal.quit();
  }
}
