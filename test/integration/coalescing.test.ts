/**
 * Writes queued in one process on one key are coalesced (src/write/key-queue.ts,
 * src/write/coalesce.ts): increments add up in one script, additions to a many-relationship
 * merge, successive saves of one row become one write. Counted with the client's own command
 * stream (test/support/round-trips.ts), never with timings. Also decimal increments computed
 * exactly in commute.lua, checked against docs/storage.md's bytes.
 */
import { describe, expect, it } from "vitest";
import {
  DecimalField,
  Field,
  FloatField,
  IntField,
  KeyField,
  Model,
  Relationship,
  SortedField,
  UniqueField,
  UniqueViolationError,
  ValidationError,
} from "../../src/index.js";
import { encodeValue } from "../../src/model/hash.js";
import { raw, useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

class Tally extends Model("Tally", {
  name: KeyField(),
  hits: SortedField({ type: "int" }),
  ratio: FloatField({ default: 0 }),
  amount: DecimalField({ default: "0" }),
  rank: SortedField({ type: "decimal" }),
}) {}

class Member extends Model("Member", { name: KeyField() }) {}
class Club extends Model("Club", { name: KeyField(), members: Relationship(Member, { many: true }) }) {}

class Person extends Model("Person", {
  id: KeyField(),
  email: UniqueField({ null: true }),
  a: IntField({ default: 0 }),
  b: IntField({ default: 0 }),
  c: Field({ default: "x" }),
}) {}

const scripts = (commands: readonly string[]): number =>
  commands.filter((c) => c === "EVALSHA" || c === "EVAL").length;

/** docs/storage.md §4: a decimal is {"__Decimal__": true, "as_encodable": str(Decimal)}. */
const decimalBytes = (text: string): string =>
  "82ab5f5f446563696d616c5f5fc3ac61735f656e636f6461626c65" +
  (0xa0 + text.length).toString(16) +
  Buffer.from(text).toString("hex");

describe("queued increments of one field", () => {
  it("200 at once: fewer scripts than increments, the sum exact, each caller sees its own step", async () => {
    await Tally.create({ name: "t", hits: 0, rank: "0" });
    const tally = (await Tally.load({ name: "t" }))!;
    const { result, commands } = await countTraffic(() =>
      Promise.all(Array.from({ length: 200 }, () => tally.atomicIncrement("hits", 1))),
    );
    expect(scripts(commands)).toBeLessThan(200);
    expect(scripts(commands)).toBeGreaterThan(0);
    // every caller got the value right after its own increment: 1 … 200, each once
    expect([...(result as number[])].sort((x, y) => x - y)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    expect((await Tally.load({ name: "t" }))?.hits).toBe(200);
    expect(await raw.zscore("$SortF:Tally:hits", "Tally:t")).toBe("200");
  });

  it("floats batched give the values one script each would give", async () => {
    await Tally.create({ name: "f", hits: 0, rank: "0" });
    const tally = (await Tally.load({ name: "f" }))!;
    const deltas = Array.from({ length: 30 }, (_, i) => 0.1 * (i + 1));
    const results = await Promise.all(deltas.map((d) => tally.atomicIncrement("ratio", d)));
    let expected = 0;
    const steps = deltas.map((d) => (expected += d));
    expect(results).toEqual(steps);
    expect((await Tally.load({ name: "f" }))?.ratio).toBe(expected);
  });

  it("a delta that takes the sum out of range fails alone; the others are applied", async () => {
    await Tally.create({ name: "r", hits: Number.MAX_SAFE_INTEGER - 10, rank: "0" });
    const tally = (await Tally.load({ name: "r" }))!;
    const results = await Promise.allSettled([1, 1, 100, 1, 2].map((d) => tally.atomicIncrement("hits", d)));
    expect(results.map((r) => r.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    expect((await Tally.load({ name: "r" }))?.hits).toBe(Number.MAX_SAFE_INTEGER - 5);
  });
});

describe("decimal increments in the script", () => {
  it("0.1 + 0.2 is exactly 0.3, in the bytes popoto and Python write", async () => {
    await Tally.create({ name: "d", hits: 0, amount: "0.1", rank: "0.1" });
    const tally = (await Tally.load({ name: "d" }))!;
    const traffic = await countTraffic(() => tally.atomicIncrement("amount", "0.2"));
    expect(scripts(traffic.commands)).toBe(1);
    expect(traffic.result).toBe("0.3");
    expect((await raw.hgetBuffer("Tally:d", "amount"))?.toString("hex")).toBe(decimalBytes("0.3"));
    expect(await tally.atomicIncrement("rank", 0.2)).toBe("0.3");
    expect((await raw.hgetBuffer("Tally:d", "rank"))?.toString("hex")).toBe(decimalBytes("0.3"));
    // the score is float(Decimal("0.3")), not 0.1 + 0.2 = 0.30000000000000004
    expect(Number(await raw.zscore("$SortF:Tally:rank", "Tally:d"))).toBe(0.3);
  });

  it("large, negative, trailing-zero and tiny values", async () => {
    const big = "123456789012345678901234567890.123";
    await Tally.create({ name: "b", hits: 0, amount: big, rank: "1.10" });
    const tally = (await Tally.load({ name: "b" }))!;
    expect(await tally.atomicIncrement("amount", "0.877")).toBe("123456789012345678901234567891.000");
    expect((await raw.hgetBuffer("Tally:b", "amount"))?.toString("hex")).toBe(
      "82ab5f5f446563696d616c5f5fc3ac61735f656e636f6461626c65d922" +
        Buffer.from("123456789012345678901234567891.000").toString("hex"),
    );
    expect(await tally.atomicIncrement("amount", "-123456789012345678901234567892")).toBe("-1.000");
    expect(await tally.atomicIncrement("rank", "2")).toBe("3.10");
    expect(await tally.atomicIncrement("rank", "-3.1")).toBe("0.00");
    expect(await tally.atomicIncrement("rank", "0.0000001")).toBe("0.0000001");
    // Python's str(Decimal("0.0000001")) is "1E-7"
    expect((await raw.hgetBuffer("Tally:b", "rank"))?.toString("hex")).toBe(decimalBytes("1E-7"));
    expect(Number(await raw.zscore("$SortF:Tally:rank", "Tally:b"))).toBe(1e-7);
    const encoded = encodeValue(Tally.meta.fields.get("rank")!, "0.0000001").toString("hex");
    expect(encoded).toBe(decimalBytes("1E-7"));
  });

  it("20 queued increments of 0.10 add up to 2.00 exactly", async () => {
    await Tally.create({ name: "q", hits: 0, amount: "0.00", rank: "0" });
    const tally = (await Tally.load({ name: "q" }))!;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => tally.atomicIncrement("amount", "0.10")),
    );
    expect([...(results as string[])].sort((x, y) => Number(x) - Number(y))).toEqual(
      Array.from({ length: 20 }, (_, i) => ((i + 1) / 10).toFixed(2)),
    );
    expect((await raw.hgetBuffer("Tally:q", "amount"))?.toString("hex")).toBe(decimalBytes("2.00"));
  });

  it("a decimal stored as a float (Popoto 0.8.3's sorted decimal) is added exactly on the checked path", async () => {
    await Tally.create({ name: "p", hits: 0, rank: "1" });
    await raw.hset("Tally:p", "rank", Buffer.from("cb3ff199999999999a", "hex")); // 1.1 as float64
    const tally = (await Tally.load({ name: "p" }))!;
    expect(await tally.atomicIncrement("rank", "0.2")).toBe("1.3");
    expect((await raw.hgetBuffer("Tally:p", "rank"))?.toString("hex")).toBe(decimalBytes("1.3"));
    expect((await Tally.checkIndexes()).differences).toEqual([]);
  });
});

describe("queued addRelated on one relationship", () => {
  it("64 at once: fewer scripts, every member in the list and its reverse set", async () => {
    const club = await Club.create({ name: "c" });
    const members = await Promise.all(Array.from({ length: 64 }, (_, i) => Member.create({ name: `m${i}` })));
    const { commands } = await countTraffic(() =>
      Promise.all(members.map((m) => club.addRelated("members", m))),
    );
    expect(scripts(commands)).toBeLessThan(64);
    const stored = (await Club.load({ name: "c" }))!;
    expect(new Set((stored.members as unknown[]).map(String)).size).toBe(64);
    for (const m of members)
      expect(await raw.sismember(`$RelationshipF:Club:members:${m.redisKey}`, "Club:c")).toBe(1);
    expect(await raw.sismember("$RelationshipF:Club:members:None", "Club:c")).toBe(0);
  });
});

describe("queued saves of one row", () => {
  it("copies changing different fields, saved at once: fewer writes, every change kept", async () => {
    await Person.create({ id: "p", email: null });
    const copies = await Promise.all(Array.from({ length: 30 }, () => Person.load({ id: "p" })));
    copies.forEach((copy, i) => {
      if (i % 3 === 0) copy!.a = i;
      else if (i % 3 === 1) copy!.b = i;
      else copy!.c = `v${i}`;
    });
    const { commands } = await countTraffic(() => Promise.all(copies.map((copy) => copy!.save())));
    expect(scripts(commands)).toBeLessThan(30);
    const stored = (await Person.load({ id: "p" }))!;
    // the last change of each field wins, as if they had run one after the other
    expect([stored.a, stored.b, stored.c]).toEqual([27, 28, "v29"]);
    // each copy's own state: saving it again unchanged writes nothing of the others' fields
    const again = await countTraffic(() => copies[0]!.save());
    expect(scripts(again.commands)).toBe(1);
    expect((await Person.load({ id: "p" }))?.b).toBe(28);
  });

  it("an error fails only the save it concerns: a unique value taken by another row", async () => {
    await Person.create({ id: "other", email: "taken@example.com" });
    await Person.create({ id: "p", email: null });
    const copies = await Promise.all(Array.from({ length: 4 }, () => Person.load({ id: "p" })));
    copies[0]!.a = 1;
    copies[1]!.b = 2;
    copies[2]!.email = "taken@example.com";
    copies[3]!.c = "kept";
    const results = await Promise.allSettled(copies.map((copy) => copy!.save()));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueViolationError);
    const stored = (await Person.load({ id: "p" }))!;
    expect([stored.a, stored.b, stored.email, stored.c]).toEqual([1, 2, null, "kept"]);
    expect((await Person.checkIndexes()).differences).toEqual([]);
  });
});
