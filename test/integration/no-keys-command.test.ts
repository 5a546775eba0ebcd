/**
 * popoto never uses the KEYS command: `cmdstat_keys` in INFO commandstats does not move across a
 * workload that exercises every write path and every lookup, and no source file issues it.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  AutoKeyField,
  Field,
  KeyField,
  Model,
  SortedField,
  SortedKeyField,
  UniqueKeyField,
} from "../../src/index.js";
import { sleep } from "../support/inspect.js";
import { allKeys, raw, useRedis } from "../support/redis.js";

useRedis();

class Member extends Model("Member", {
  band: KeyField({ null: true }),
  role: KeyField(),
  email: UniqueKeyField(),
  age: SortedField({ type: "int" }),
  note: Field({ null: true }),
}) {}

class Quote extends Model(
  "Quote",
  {
    id: AutoKeyField({ length: 8 }),
    asset: KeyField(),
    at: SortedKeyField({ type: "int", partitionBy: "asset" }),
  },
  { ttl: 60 },
) {}

class Memo extends Model("Memo", { text: Field() }) {}

const keysCalls = async (): Promise<number> => {
  const info = await raw.info("commandstats");
  const match = /^cmdstat_keys:calls=(\d+)/m.exec(info);
  return match ? Number(match[1]) : 0;
};

describe("no KEYS command", () => {
  it("a workload over every write path and lookup leaves cmdstat_keys unchanged", async () => {
    const before = await keysCalls();

    await Member.create({ band: "BLACKPINK", role: "singer", email: "j@x", age: 28 });
    await Member.create({ band: "BLACKPINK", role: "rapper", email: "l@x", age: 27 });
    await Member.create({ band: null, role: "solo", email: "s@x", age: 30, note: "n" });
    const memo = await Memo.create({ text: "t" });
    const q1 = await Quote.create({ asset: "BTC", at: 1 });
    await Quote.create({ asset: "BTC", at: 2 });

    await Member.query.filter({ band: "BLACKPINK" });
    await Member.query.filter({ band__in: ["BLACKPINK", "x"] });
    await Member.query.filter({ band__isnull: true });
    await Member.query.filter({ band__isnull: false });
    await Member.query.filter({ band__startswith: "BLACK" });
    await Member.query.filter({ band__endswith: "PINK" });
    await Member.query.filter({ band__contains: "KPI" });
    await Member.query.filter({ email__startswith: "j" });
    await Member.query.filter({ age__gt: 1, age__lte: 40, role: "singer" });
    await Member.query
      .filter({ age__between: [20, 30] })
      .orderBy("-age")
      .limit(1)
      .offset(1);
    await Member.query.orderBy("role").values("role", "email");
    await Member.query.orderBy("note").values("age");
    await Member.query.get({ email: "j@x" });
    await Member.query.get({ band: "BLACKPINK", role: "singer", email: "j@x" });
    await Member.query.count();
    await Member.query.count({ band__startswith: "B" });
    await Member.query.keys();
    await Member.query.exists();
    await Memo.query.filter({ _auto_key: memo._auto_key });
    await Quote.query.filter({ id: q1.id });
    await Quote.query.filter({ asset: "BTC", at__gte: 1 });
    await Member.load({ band: "BLACKPINK", role: "rapper", email: "l@x" });

    const moved = await Member.load({ band: "BLACKPINK", role: "rapper", email: "l@x" });
    moved!.band = "BP";
    await moved!.save();
    await Member.create({ band: "X", role: "y", email: "j@x", age: 1 }).catch(() => undefined);

    await raw.pexpire(q1.redisKey, 1);
    await sleep(10);
    await Quote.query.all();
    await Quote.query.count();
    await Quote.create({ asset: "ETH", at: 3 });
    await q1.delete();

    for (const row of await Member.query.all()) await row.delete();
    for (const row of await Quote.query.all()) await row.delete();
    await memo.delete();

    expect(await keysCalls()).toBe(before);
    expect(await allKeys()).toEqual([]);
  });
});

const SRC = fileURLToPath(new URL("../../src", import.meta.url));

const sourceFiles = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (/\.(ts|lua)$/.test(entry.name)) out.push(path);
  }
  return out;
};

describe("no KEYS in the source", () => {
  it("no source file or Lua script calls KEYS", async () => {
    const offenders: string[] = [];
    for (const file of await sourceFiles(SRC)) {
      const text = await readFile(file, "utf8");
      const patterns = [
        /redis\.p?call\(\s*["']keys["']/i, // Lua
        /\.(keys|keysBuffer)\(\s*["'`]/, // ioredis client.keys("pattern")
        /\.(call|callBuffer|sendCommand)\(\s*["'`]keys["'`]/i, // client.call("KEYS", …)
        /new Command\(\s*["'`]keys["'`]/i,
      ];
      for (const pattern of patterns) if (pattern.test(text)) offenders.push(`${file}: ${String(pattern)}`);
    }
    expect(offenders).toEqual([]);
  });
});
