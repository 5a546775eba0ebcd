/**
 * Index cleanup never trusts the in-memory copy: instances built by hand, loaded long ago, or
 * changed by another writer still leave the indexes exactly matching the stored hashes.
 */
import { describe, expect, it } from "vitest";
import { Field, KeyField, Model, SortedField } from "../../src/index.js";
import { dump, members, specKeys, zmembers } from "../support/inspect.js";
import { allKeys, raw, useRedis } from "../support/redis.js";

useRedis();

/** `points` is partitioned by a non-key field, so a stale `region` names the wrong sorted set. */
class Score extends Model("Score", {
  player: KeyField(),
  region: KeyField({ null: true }),
  points: SortedField({ type: "int", partitionBy: "region" }),
  level: SortedField({ type: "int" }),
  note: Field({ null: true }),
}) {}

class Book extends Model("Book", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}

/** `balance` is partitioned by a plain field: only the stored hash knows which set holds it. */
class Wallet extends Model("Wallet", {
  owner: KeyField(),
  currency: Field(),
  balance: SortedField({ type: "float", partitionBy: "currency" }),
}) {}

/** Every sorted-set and set entry of Score, as `key -> members` (scores included). */
const scoreIndexes = async (): Promise<Record<string, unknown>> => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(await dump({ specOnly: true }))) {
    if (key.startsWith("$")) out[key] = "members" in value ? value.members : value;
  }
  return out;
};

describe("saves that do not trust memory", () => {
  it("an instance built by hand over a stored row removes the stored row's entries", async () => {
    await Score.create({ player: "p", region: "eu", points: 10, level: 1 });
    // same key, different partition and scores, never loaded
    const byHand = new Score({ player: "p", region: "eu", points: 5, level: 2 });
    await byHand.save();
    expect(await zmembers("$SortF:Score:points:eu")).toEqual({ "Score:p:eu": 5 });
    expect(await zmembers("$SortF:Score:level")).toEqual({ "Score:p:eu": 2 });
    expect(await Score.query.count()).toBe(1);
  });

  it("a hand-built instance with another partition value moves the member out of the stored partition", async () => {
    await Wallet.create({ owner: "ann", currency: "EUR", balance: 10 });
    await new Wallet({ owner: "ann", currency: "USD", balance: 12 }).save();
    expect(await specKeys()).toEqual([
      "$Class:Wallet",
      "$KeyF:Wallet:owner:ann",
      "$SortF:Wallet:balance:USD",
      "Wallet:ann",
    ]);
    expect(await zmembers("$SortF:Wallet:balance:USD")).toEqual({ "Wallet:ann": 12 });
  });

  it("a stale copy that changes only the score keeps the partition another writer moved it to", async () => {
    await Wallet.create({ owner: "ann", currency: "EUR", balance: 10 });
    const early = await Wallet.load({ owner: "ann" });
    const other = await Wallet.load({ owner: "ann" });
    other!.currency = "GBP";
    other!.balance = 8;
    await other!.save();
    expect(await zmembers("$SortF:Wallet:balance:GBP")).toEqual({ "Wallet:ann": 8 });
    early!.balance = 11; // early still holds currency EUR, but did not change it
    await early!.save();
    expect((await Wallet.load({ owner: "ann" }))?.currency).toBe("GBP");
    expect(await specKeys()).toEqual([
      "$Class:Wallet",
      "$KeyF:Wallet:owner:ann",
      "$SortF:Wallet:balance:GBP",
      "Wallet:ann",
    ]);
    expect(await zmembers("$SortF:Wallet:balance:GBP")).toEqual({ "Wallet:ann": 11 });
    // Changing the partition from the stale copy moves the member out of the stored one.
    early!.currency = "USD";
    await early!.save();
    expect(await specKeys()).toEqual([
      "$Class:Wallet",
      "$KeyF:Wallet:owner:ann",
      "$SortF:Wallet:balance:USD",
      "Wallet:ann",
    ]);
    expect(await zmembers("$SortF:Wallet:balance:USD")).toEqual({ "Wallet:ann": 11 });
  });

  it("hand-built copies with different partitions saved at once leave only the final partition", async () => {
    await Wallet.create({ owner: "bob", currency: "EUR", balance: 0 });
    const currencies = ["USD", "GBP", "JPY", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "BGN"];
    const results = await Promise.allSettled(
      currencies.map((currency, i) => new Wallet({ owner: "bob", currency, balance: i }).save()),
    );
    // whatever the outcome of each save, a failed one writes nothing and the indexes match the hash
    for (const r of results) {
      if (r.status === "rejected")
        expect((r.reason as { code?: string }).code).toBe("CONCURRENT_MODIFICATION");
    }
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
    const final = await Wallet.load({ owner: "bob" });
    const sorted = (await specKeys()).filter((k) => k.startsWith("$SortF:"));
    expect(sorted).toEqual([`$SortF:Wallet:balance:${final!.currency}`]);
    expect(await zmembers(`$SortF:Wallet:balance:${final!.currency}`)).toEqual({
      "Wallet:bob": final!.balance,
    });
  });

  it("twelve concurrent saves of one row all succeed, the last writer winning", async () => {
    await Wallet.create({ owner: "cy", currency: "EUR", balance: 0 });
    const copies = await Promise.all(Array.from({ length: 12 }, () => Wallet.load({ owner: "cy" })));
    copies.forEach((c, i) => {
      c!.currency = `C${i}`;
      c!.balance = i;
    });
    const results = await Promise.allSettled(copies.map((c) => c!.save()));
    expect(results.filter((r) => r.status === "rejected").map((r) => String(r.reason))).toEqual([]);
  });

  it("a stale copy saved after another writer changed the row leaves indexes matching the final hash", async () => {
    await Score.create({ player: "p", region: "eu", points: 10, level: 1, note: "first" });
    const early = await Score.load({ player: "p", region: "eu" });
    const other = await Score.load({ player: "p", region: "eu" });
    other!.points = 99;
    other!.level = 7;
    await other!.save();
    // `early` still believes points=10, level=1
    early!.note = "second";
    early!.level = 3;
    await early!.save();
    const stored = await Score.load({ player: "p", region: "eu" });
    // early wrote only what it changed: the other writer's points survive
    expect(stored?.points).toBe(99);
    expect(stored?.level).toBe(3);
    expect(stored?.note).toBe("second");
    expect(await scoreIndexes()).toEqual({
      "$Class:Score": ["Score:p:eu"],
      "$KeyF:Score:player:p": ["Score:p:eu"],
      "$KeyF:Score:region:eu": ["Score:p:eu"],
      "$SortF:Score:level": { "Score:p:eu": 3 },
      "$SortF:Score:points:eu": { "Score:p:eu": 99 },
    });
  });

  it("many stale copies saved at once leave exactly the entries of the stored hash", async () => {
    await Book.create({ title: "B", pages: 0 });
    const copies = await Promise.all(Array.from({ length: 12 }, () => Book.load({ title: "B" })));
    copies.forEach((c, i) => (c!.pages = i + 1));
    const results = await Promise.allSettled(copies.map((c) => c!.save()));
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
    const final = await Book.load({ title: "B" });
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:B": final!.pages });
    expect(await specKeys()).toEqual(["$Class:Book", "$KeyF:Book:title:B", "$SortF:Book:pages", "Book:B"]);
  });

  it("hand-built copies with different partitions saved at once leave one partition entry", async () => {
    const regions = ["eu", "us", "asia", "af", "sa"];
    await Score.create({ player: "q", region: null, points: 0, level: 0 });
    // region is a key field here, so each copy is its own row; level is a plain sorted field
    await Promise.all(
      regions.map((region, i) => new Score({ player: "q", region, points: i, level: i }).save()),
    );
    expect(await Score.query.count()).toBe(6);
    for (const [i, region] of regions.entries()) {
      expect(await zmembers(`$SortF:Score:points:${region}`)).toEqual({ [`Score:q:${region}`]: i });
    }
    expect(await zmembers("$SortF:Score:points:None")).toEqual({ "Score:q:None": 0 });
  });

  it("a copy loaded long ago whose row was deleted recreates it cleanly", async () => {
    const early = await Book.create({ title: "Gone", pages: 1 });
    const other = await Book.load({ title: "Gone" });
    await other!.delete();
    early.pages = 2;
    await early.save();
    expect(await specKeys()).toEqual([
      "$Class:Book",
      "$KeyF:Book:title:Gone",
      "$SortF:Book:pages",
      "Book:Gone",
    ]);
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:Gone": 2 });
  });
});

class Entry extends Model("Entry", {
  id: KeyField(),
  zone: KeyField(),
  amount: SortedField({ type: "int", partitionBy: "zone" }),
  weight: SortedField({ type: "int" }),
}) {}

describe("deletes that do not trust memory", () => {
  it("a loaded instance with unsaved changes deletes the stored entries", async () => {
    await Score.create({ player: "p", region: "eu", points: 10, level: 1 });
    const loaded = await Score.load({ player: "p", region: "eu" });
    loaded!.points = 500;
    loaded!.level = 600;
    expect(await loaded!.delete()).toBe(true);
    expect(await allKeys()).toEqual([]);
  });

  it("a loaded instance with a changed partition value in memory deletes the stored partition entry", async () => {
    await Wallet.create({ owner: "ann", currency: "EUR", balance: 10 });
    const w = await Wallet.load({ owner: "ann" });
    w!.currency = "USD";
    expect(await w!.delete()).toBe(true);
    expect(await allKeys()).toEqual([]);
  });

  it("a hand-built instance with another partition value deletes the stored partition entry", async () => {
    await Wallet.create({ owner: "ann", currency: "EUR", balance: 10 });
    expect(await new Wallet({ owner: "ann", currency: "USD", balance: 1 }).delete()).toBe(true);
    expect(await allKeys()).toEqual([]);
  });

  it("a loaded instance whose key field was changed in memory deletes its stored row only", async () => {
    await Book.create({ title: "A", pages: 1 });
    await Book.create({ title: "B", pages: 2 });
    const a = await Book.load({ title: "A" });
    a!.title = "B"; // unsaved: the row at B belongs to someone else
    a!.pages = 2;
    expect(await a!.delete()).toBe(true);
    expect(await specKeys()).toEqual(["$Class:Book", "$KeyF:Book:title:B", "$SortF:Book:pages", "Book:B"]);
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:B": 2 });
  });

  it("an instance built by hand deletes the stored row's entries, not its own values'", async () => {
    await Entry.create({ id: "e", zone: "z1", amount: 5, weight: 9 });
    const byHand = new Entry({ id: "e", zone: "z1", amount: 77, weight: 88 });
    expect(await byHand.delete()).toBe(true);
    expect(await allKeys()).toEqual([]);
  });

  it("a copy loaded before another writer changed the row deletes the row's current entries", async () => {
    await Entry.create({ id: "e", zone: "z1", amount: 5, weight: 9 });
    const early = await Entry.load({ id: "e", zone: "z1" });
    const other = await Entry.load({ id: "e", zone: "z1" });
    other!.amount = 6;
    other!.weight = 10;
    await other!.save();
    expect(await early!.delete()).toBe(true);
    expect(await allKeys()).toEqual([]);
  });

  it("a copy from filter() deletes cleanly after the row was updated elsewhere", async () => {
    await Entry.create({ id: "e", zone: "z1", amount: 5, weight: 9 });
    await Entry.create({ id: "f", zone: "z1", amount: 1, weight: 1 });
    const [stale] = await Entry.query.filter({ id: "e" });
    const fresh = await Entry.load({ id: "e", zone: "z1" });
    fresh!.weight = 100;
    await fresh!.save();
    expect(await stale!.delete()).toBe(true);
    expect(await members("$Class:Entry")).toEqual(["Entry:f:z1"]);
    expect(await zmembers("$SortF:Entry:weight")).toEqual({ "Entry:f:z1": 1 });
    expect(await zmembers("$SortF:Entry:amount:z1")).toEqual({ "Entry:f:z1": 1 });
    expect(await raw.exists("$KeyF:Entry:id:e")).toBe(0);
  });
});
