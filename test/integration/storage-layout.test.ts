/**
 * The raw layout of ../shared/spec/storage.md, byte for byte: instance keys, key parts of every
 * key type, hash values of every field type, and the $Class, $KeyF, $UniqueKeyF, $SortF and
 * $SortedKeyF structures (with partitions). Everything is read back with plain ioredis calls.
 */
import { describe, expect, it } from "vitest";
import {
  AutoKeyField,
  BooleanField,
  CorruptDataError,
  BytesField,
  DateField,
  DatetimeField,
  DecimalField,
  DictField,
  Field,
  FloatField,
  IntField,
  KeyField,
  ListField,
  Model,
  PopotoError,
  SetField,
  SortedField,
  SortedKeyField,
  StringField,
  TimeField,
  TupleField,
  UniqueKeyField,
} from "../../src/index.js";
import {
  caught,
  dump,
  fixstr,
  isSpecKey,
  members,
  mpstr,
  specKeys,
  taggedHex,
  zmembers,
} from "../support/inspect.js";
import { allKeys, allKeysWithFingerprints, hexOf, raw, useRedis } from "../support/redis.js";

useRedis();

const DT = new Date("2020-01-02T03:04:05.678Z");
const DAY = new Date("2020-01-02T00:00:00.000Z");

class Book extends Model("Book", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}

class AllTypes extends Model("AllTypes", {
  id: KeyField(),
  s: StringField(),
  i: IntField(),
  f: FloatField(),
  b: BooleanField(),
  by: BytesField(),
  l: ListField(),
  d: DictField(),
  st: SetField(),
  tp: TupleField(),
  dec: DecimalField(),
  dt: DatetimeField(),
  da: DateField(),
  tm: TimeField(),
  nul: Field({ null: true }),
  _hidden: Field({ type: "int" }),
}) {}

class Nullables extends Model("Nullables", {
  id: KeyField(),
  s: StringField({ null: true }),
  i: IntField({ null: true }),
  f: FloatField({ null: true }),
  b: BooleanField({ null: true }),
  by: BytesField({ null: true }),
  l: ListField({ null: true }),
  d: DictField({ null: true }),
  st: SetField({ null: true }),
  tp: TupleField({ null: true }),
  dec: DecimalField({ null: true }),
  dt: DatetimeField({ null: true }),
  da: DateField({ null: true }),
  tm: TimeField({ null: true }),
}) {}

class Ints extends Model("Ints", { id: KeyField(), n: IntField() }) {}
class Floats extends Model("Floats", { id: KeyField(), x: FloatField() }) {}
class Strs extends Model("Strs", { id: KeyField(), text: StringField() }) {}

class Keys extends Model("Keys", {
  k9_null: KeyField({ null: true }),
  k8_time: KeyField({ type: "time" }),
  k7_decimal: KeyField({ type: "decimal" }),
  k6_datetime: KeyField({ type: "datetime" }),
  k5_date: KeyField({ type: "date" }),
  k4_bool: KeyField({ type: "boolean" }),
  k3_float: KeyField({ type: "float" }),
  k2_int: KeyField({ type: "int" }),
  k1_str: KeyField(),
}) {}

class Restaurant extends Model("Restaurant", { name: KeyField(), city: KeyField() }) {}
class CodePoint extends Model("CodePoint", {
  ab: KeyField(),
  aB: KeyField(),
  aa: KeyField(),
  a_b: KeyField(),
}) {}
class FloatKey extends Model("FloatKey", { x: KeyField({ type: "float" }) }) {}
class IntKey extends Model("IntKey", { n: KeyField({ type: "int" }) }) {}
class Account extends Model("Account", { email: UniqueKeyField(), name: Field() }) {}
class Ticket extends Model("Ticket", { code: UniqueKeyField({ type: "int" }), seat: KeyField() }) {}
class Note extends Model("Note", { body: Field() }) {}
class Token extends Model("Token", { id: AutoKeyField(), label: Field() }) {}
class ShortToken extends Model("ShortToken", { id: AutoKeyField({ length: 6 }) }) {}

class Scores extends Model("Scores", {
  id: KeyField(),
  i: SortedField({ type: "int" }),
  f: SortedField({ type: "float" }),
  dec: SortedField({ type: "decimal" }),
  da: SortedField({ type: "date" }),
  dt: SortedField({ type: "datetime" }),
  tm: SortedField({ type: "time" }),
}) {}

class Price extends Model("Price", {
  id: KeyField(),
  zone: Field(),
  asset: KeyField(),
  amount: SortedField({ type: "float", partitionBy: ["zone", "asset"] }),
}) {}

class Ranked extends Model("Ranked", {
  rank: SortedKeyField({ type: "int" }),
  league: KeyField(),
  when: SortedKeyField({ type: "date", partitionBy: "league" }),
}) {}

describe("instance keys", () => {
  it("is Model:part for one key field", async () => {
    const book = await Book.create({ title: "The Hobbit", pages: 310 });
    expect(book.redisKey).toBe("Book:The Hobbit");
    expect(await raw.type("Book:The Hobbit")).toBe("hash");
  });

  it("orders key parts by the code points of the key fields' names, not by declaration", async () => {
    const r = await Restaurant.create({ name: "Burger Palace", city: "new-york" });
    expect(r.redisKey).toBe("Restaurant:new/-york:Burger Palace");
    expect(await raw.exists("Restaurant:new/-york:Burger Palace")).toBe(1);
    // code points: "aB" (B = 0x42) < "a_b" (_ = 0x5f) < "aa" < "ab"; a locale order would differ
    const c = await CodePoint.create({ ab: "4", aB: "1", aa: "3", a_b: "2" });
    expect(c.redisKey).toBe("CodePoint:1:2:3:4");
    expect(await specKeys()).toContain("CodePoint:1:2:3:4");
  });

  it("spells every key type as Python's str() does, escaped", async () => {
    const k = await Keys.create({
      k1_str: "txt",
      k2_int: 5,
      k3_float: 1,
      k4_bool: true,
      k5_date: DAY,
      k6_datetime: DT,
      k7_decimal: "1.10",
      k8_time: "01:02:03.000004",
      k9_null: null,
    });
    const key =
      "Keys:txt:5:1.0:True:2020/-01/-02:2020/-01/-02T03{&#58;}04{&#58;}05.678000Z:1.10:01{&#58;}02{&#58;}03.000004:None";
    expect(k.redisKey).toBe(key);
    expect(await raw.exists(key)).toBe(1);
    const expectedSets = [
      "$KeyF:Keys:k1_str:txt",
      "$KeyF:Keys:k2_int:5",
      "$KeyF:Keys:k3_float:1.0",
      "$KeyF:Keys:k4_bool:True",
      "$KeyF:Keys:k5_date:2020/-01/-02",
      "$KeyF:Keys:k6_datetime:2020/-01/-02T03{&#58;}04{&#58;}05.678000Z",
      "$KeyF:Keys:k7_decimal:1.10",
      "$KeyF:Keys:k8_time:01{&#58;}02{&#58;}03.000004",
      "$KeyF:Keys:k9_null:None",
    ];
    expect(await specKeys()).toEqual(["$Class:Keys", ...expectedSets, key].sort());
    for (const set of expectedSets) expect(await members(set)).toEqual([key]);
    expect(await members("$Class:Keys")).toEqual([key]);
  });

  it("writes a time without microseconds as HH:MM:SS and a midnight datetime with six zeros", async () => {
    const k = await Keys.create({
      k1_str: "t",
      k2_int: -3,
      k3_float: -2.5,
      k4_bool: false,
      k5_date: new Date("0999-12-31T00:00:00Z"),
      k6_datetime: DAY,
      k7_decimal: "-0.5",
      k8_time: "01:02:03",
      k9_null: "None?",
    });
    expect(k.redisKey).toBe(
      "Keys:t:/-3:/-2.5:False:0999/-12/-31:2020/-01/-02T00{&#58;}00{&#58;}00.000000Z:/-0.5:01{&#58;}02{&#58;}03:None/?",
    );
    expect(await raw.exists(k.redisKey)).toBe(1);
  });

  it("spells floats as Python's repr", async () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [1.5, "1.5"],
      [0.1, "0.1"],
      [-2.5, "/-2.5"],
      [1e-5, "1e/-05"],
      [1e16, "1e+16"],
      [123456789012345, "123456789012345.0"],
      [0, "0.0"],
    ];
    for (const [x, part] of cases) {
      const saved = await FloatKey.create({ x });
      expect(saved.redisKey).toBe(`FloatKey:${part}`);
      expect(await raw.sismember(`$KeyF:FloatKey:x:${part}`, `FloatKey:${part}`)).toBe(1);
    }
    expect((await members("$Class:FloatKey")).length).toBe(cases.length);
  });

  it("spells integers as decimal digits", async () => {
    for (const n of [0, 7, -3, 9007199254740991]) {
      const saved = await IntKey.create({ n });
      expect(saved.redisKey).toBe(`IntKey:${n < 0 ? `/-${-n}` : n}`);
    }
    expect(await members("$KeyF:IntKey:n:/-3")).toEqual(["IntKey:/-3"]);
  });

  it("gives a model without key fields a hidden 32-hex _auto_key with no index set", async () => {
    const note = await Note.create({ body: "hi" });
    const autoKey = note._auto_key;
    expect(autoKey).toMatch(/^[0-9a-f]{32}$/);
    expect(note.redisKey).toBe(`Note:${autoKey}`);
    expect(await specKeys()).toEqual(["$Class:Note", `Note:${autoKey}`]);
    expect(await allKeys()).toEqual(["$Class:Note", `Note:${autoKey}`]);
    // a 32-character str does not fit a fixstr: str8 (d9 20)
    expect(await hexOf(note.redisKey, "_auto_key")).toBe(`d920${Buffer.from(autoKey).toString("hex")}`);
    expect(await hexOf(note.redisKey, "body")).toBe(fixstr("hi"));
  });

  it("writes a declared AutoKeyField without an index set, with its length", async () => {
    const t = await Token.create({ label: "x" });
    expect(t.id).toMatch(/^[0-9a-f]{32}$/);
    expect(t.redisKey).toBe(`Token:${t.id}`);
    const s = await ShortToken.create({});
    expect(s.id).toMatch(/^[0-9a-f]{6}$/);
    expect(await allKeys()).toEqual(
      ["$Class:ShortToken", "$Class:Token", `ShortToken:${s.id}`, `Token:${t.id}`].sort(),
    );
  });
});

describe("hash values", () => {
  it("writes every field type byte for byte", async () => {
    const row = await AllTypes.create({
      id: "one",
      s: "héllo",
      i: 7,
      f: 1,
      b: true,
      by: new Uint8Array([0, 1]),
      l: [1, "a", null, true],
      d: { one: 1 },
      st: new Set([1]),
      tp: [1, "a"],
      dec: "1.10",
      dt: DT,
      da: DAY,
      tm: "01:02:03.000004",
      nul: null,
      _hidden: 3,
    });
    const hash = await dump();
    expect(hash["AllTypes:one"]).toEqual({
      type: "hash",
      fields: {
        id: fixstr("one"),
        s: "a668c3a96c6c6f",
        i: "07",
        f: "cb3ff0000000000000",
        b: "c3",
        by: "c4020001",
        l: "9401a161c0c3",
        d: "81a36f6e6501",
        st: taggedHex("__set__", "9101"),
        tp: taggedHex("__tuple__", "9201a161"),
        dec: taggedHex("__Decimal__", fixstr("1.10")),
        dt: taggedHex("__datetime__", fixstr("20200102T03:04:05.678000")),
        da: taggedHex("__date__", fixstr("20200102")),
        tm: taggedHex("__time__", fixstr("01:02:03.000004")),
        nul: "c0",
        _hidden: "03",
      },
    });
    // spelled out once without helpers, to pin the helpers themselves
    expect(await hexOf(row.redisKey, "st")).toBe("82a75f5f7365745f5fc3ac61735f656e636f6461626c659101");
    expect(await hexOf(row.redisKey, "dec")).toBe(
      "82ab5f5f446563696d616c5f5fc3ac61735f656e636f6461626c65a4312e3130",
    );
  });

  it("writes msgpack nil for every null value", async () => {
    await Nullables.create({ id: "n" });
    const fields = await raw.hgetallBuffer("Nullables:n");
    const names = ["s", "i", "f", "b", "by", "l", "d", "st", "tp", "dec", "dt", "da", "tm"];
    expect(Object.keys(fields).sort()).toEqual([...names, "id"].sort());
    for (const name of names) expect(fields[name]?.toString("hex"), name).toBe("c0");
  });

  it("writes ints in the smallest msgpack format Python picks", async () => {
    const cases: [number, string][] = [
      [0, "00"],
      [127, "7f"],
      [128, "cc80"],
      [255, "ccff"],
      [256, "cd0100"],
      [65535, "cdffff"],
      [65536, "ce00010000"],
      [4294967295, "ceffffffff"],
      [4294967296, "cf0000000100000000"],
      [9007199254740991, "cf001fffffffffffff"],
      [-1, "ff"],
      [-32, "e0"],
      [-33, "d0df"],
      [-128, "d080"],
      [-129, "d1ff7f"],
      [-32768, "d18000"],
      [-32769, "d2ffff7fff"],
      [-2147483648, "d280000000"],
      [-2147483649, "d3ffffffff7fffffff"],
    ];
    for (const [n, hex] of cases) {
      await Ints.create({ id: String(n), n });
      expect(await hexOf(`Ints:${n < 0 ? `/-${-n}` : n}`, "n"), String(n)).toBe(hex);
    }
  });

  it("writes floats as float64 always", async () => {
    const cases: [number, string][] = [
      [0, "cb0000000000000000"],
      [1, "cb3ff0000000000000"],
      [1.5, "cb3ff8000000000000"],
      [0.1, "cb3fb999999999999a"],
      [-2.5, "cbc004000000000000"],
      [1e100, "cb54b249ad2594c37d"],
    ];
    for (const [i, [x, hex]] of cases.entries()) {
      await Floats.create({ id: `x${i}`, x });
      expect(await hexOf(`Floats:x${i}`, "x"), String(x)).toBe(hex);
    }
  });

  it("writes strings as fixstr, str8 and str16 by length", async () => {
    const long32 = "x".repeat(32);
    const long256 = "y".repeat(256);
    await Strs.create({ id: "a", text: "" });
    await Strs.create({ id: "b", text: long32 });
    await Strs.create({ id: "c", text: long256 });
    await Strs.create({ id: "d", text: "東京" });
    expect(await hexOf("Strs:a", "text")).toBe("a0");
    expect(await hexOf("Strs:b", "text")).toBe(`d920${"78".repeat(32)}`);
    expect(await hexOf("Strs:c", "text")).toBe(`da0100${"79".repeat(256)}`);
    expect(await hexOf("Strs:d", "text")).toBe("a6e69db1e4baac");
  });

  it("reads back every type it wrote", async () => {
    await AllTypes.create({
      id: "two",
      s: "héllo",
      i: -70000,
      f: 0.1,
      b: false,
      by: new Uint8Array([255]),
      l: [1, [2, "x"], { k: "v" }],
      d: { one: 1, two: [2] },
      st: new Set(["a", "b"]),
      tp: [1, "a"],
      dec: "1.10",
      dt: DT,
      da: DAY,
      tm: "23:59:59.999999",
      nul: "present",
      _hidden: 0,
    });
    const got = await AllTypes.load({ id: "two" });
    expect(got).not.toBeNull();
    expect(got!.s).toBe("héllo");
    expect(got!.i).toBe(-70000);
    expect(got!.f).toBe(0.1);
    expect(got!.b).toBe(false);
    expect(Array.from(got!.by)).toEqual([255]);
    expect(got!.l).toEqual([1, [2, "x"], { k: "v" }]);
    expect(got!.d).toEqual({ one: 1, two: [2] });
    expect(got!.st).toEqual(new Set(["a", "b"]));
    expect(got!.tp).toEqual([1, "a"]);
    expect(got!.dec).toBe("1.10");
    expect(got!.dt).toEqual(DT);
    expect(got!.da).toEqual(DAY);
    expect(got!.tm).toBe("23:59:59.999999");
    expect(got!.nul).toBe("present");
    expect(got!._hidden).toBe(0);
  });
});

describe("index structures", () => {
  it("matches the spec's Book example", async () => {
    await Book.create({ title: "The Hobbit", pages: 310 });
    await Book.create({ title: "LOTR", pages: 1178 });
    expect(await dump({ specOnly: true })).toEqual({
      "$Class:Book": { type: "set", members: ["Book:LOTR", "Book:The Hobbit"] },
      "$KeyF:Book:title:LOTR": { type: "set", members: ["Book:LOTR"] },
      "$KeyF:Book:title:The Hobbit": { type: "set", members: ["Book:The Hobbit"] },
      "$SortF:Book:pages": { type: "zset", members: { "Book:The Hobbit": 310, "Book:LOTR": 1178 } },
      "Book:LOTR": { type: "hash", fields: { title: "a44c4f5452", pages: "cd049a" } },
      "Book:The Hobbit": {
        type: "hash",
        fields: { title: fixstr("The Hobbit"), pages: "cd0136" },
      },
    });
  });

  it("adds popoto's schema fingerprint beside the spec's keys: the first save into the empty model records it", async () => {
    await Book.create({ title: "The Hobbit", pages: 310 });
    await Book.create({ title: "LOTR", pages: 1178 });
    expect((await allKeysWithFingerprints()).filter((key) => !isSpecKey(key))).toEqual(["$Schema:Book"]);
    expect(await raw.hgetall("$Schema:Book")).toEqual({ "~v": "1", "sorted:pages": "built" });
  });

  it("indexes a UniqueKeyField under $UniqueKeyF and not $KeyF", async () => {
    await Account.create({ email: "a@b.c", name: "A" });
    expect(await specKeys()).toEqual(["$Class:Account", "$UniqueKeyF:Account:email:a@b.c", "Account:a@b.c"]);
    expect(await members("$UniqueKeyF:Account:email:a@b.c")).toEqual(["Account:a@b.c"]);
    await Ticket.create({ code: 42, seat: "A-1" });
    expect(await members("$UniqueKeyF:Ticket:code:42")).toEqual(["Ticket:42:A/-1"]);
    expect(await members("$KeyF:Ticket:seat:A/-1")).toEqual(["Ticket:42:A/-1"]);
    expect(await raw.exists("$KeyF:Ticket:code:42")).toBe(0);
  });

  it("scores every sorted type as the spec says", async () => {
    await Scores.create({
      id: "s",
      i: -7,
      f: 2.5,
      dec: "1.10",
      da: DAY,
      dt: DT,
      tm: "01:02:03.000004",
    });
    expect(await zmembers("$SortF:Scores:i")).toEqual({ "Scores:s": -7 });
    expect(await zmembers("$SortF:Scores:f")).toEqual({ "Scores:s": 2.5 });
    expect(await zmembers("$SortF:Scores:dec")).toEqual({ "Scores:s": 1.1 });
    // proleptic Gregorian ordinal: date(2020, 1, 2).toordinal() == 737426
    expect(await zmembers("$SortF:Scores:da")).toEqual({ "Scores:s": 737426 });
    expect(await zmembers("$SortF:Scores:dt")).toEqual({ "Scores:s": 1577934245.678 });
    expect(await zmembers("$SortF:Scores:tm")).toEqual({ "Scores:s": 3723.000004 });
    expect(await specKeys()).toEqual(
      [
        "$Class:Scores",
        "$KeyF:Scores:id:s",
        "$SortF:Scores:da",
        "$SortF:Scores:dec",
        "$SortF:Scores:dt",
        "$SortF:Scores:f",
        "$SortF:Scores:i",
        "$SortF:Scores:tm",
        "Scores:s",
      ].sort(),
    );
  });

  it("scores a date before 1970 and 0001-01-01 by ordinal", async () => {
    await Scores.create({
      id: "old",
      i: 0,
      f: 0,
      dec: "0",
      da: new Date("0001-01-01T00:00:00Z"),
      dt: new Date("1969-12-31T23:59:59.500Z"),
      tm: "00:00:00",
    });
    expect(await zmembers("$SortF:Scores:da")).toEqual({ "Scores:old": 1 });
    expect(await zmembers("$SortF:Scores:dt")).toEqual({ "Scores:old": -0.5 });
    expect(await zmembers("$SortF:Scores:tm")).toEqual({ "Scores:old": 0 });
  });

  it("appends partition parts in partitionBy order, escaped", async () => {
    await Price.create({ id: "p1", zone: "eu-west", asset: "BTC", amount: 3.5 });
    await Price.create({ id: "p2", zone: "eu-west", asset: "ETH", amount: 1 });
    await Price.create({ id: "p3", zone: "us", asset: "BTC", amount: 2 });
    expect(await zmembers("$SortF:Price:amount:eu/-west:BTC")).toEqual({ "Price:BTC:p1": 3.5 });
    expect(await zmembers("$SortF:Price:amount:eu/-west:ETH")).toEqual({ "Price:ETH:p2": 1 });
    expect(await zmembers("$SortF:Price:amount:us:BTC")).toEqual({ "Price:BTC:p3": 2 });
    expect((await specKeys()).filter((k) => k.startsWith("$SortF:"))).toEqual([
      "$SortF:Price:amount:eu/-west:BTC",
      "$SortF:Price:amount:eu/-west:ETH",
      "$SortF:Price:amount:us:BTC",
    ]);
    // the plain partition field has no index set of its own
    expect((await specKeys()).some((k) => k.startsWith("$KeyF:Price:zone"))).toBe(false);
  });

  it("indexes a SortedKeyField under $SortedKeyF only, as part of the key", async () => {
    await Ranked.create({ rank: 3, league: "pro-am", when: DAY });
    const key = "Ranked:pro/-am:3:2020/-01/-02";
    expect(await dump({ specOnly: true })).toEqual({
      "$Class:Ranked": { type: "set", members: [key] },
      "$KeyF:Ranked:league:pro/-am": { type: "set", members: [key] },
      "$SortedKeyF:Ranked:rank": { type: "zset", members: { [key]: 3 } },
      "$SortedKeyF:Ranked:when:pro/-am": { type: "zset", members: { [key]: 737426 } },
      [key]: {
        type: "hash",
        fields: {
          rank: "03",
          league: fixstr("pro-am"),
          when: taggedHex("__date__", fixstr("20200102")),
        },
      },
    });
  });

  it("keeps popoto's own indexes under $ prefixes, apart from the instance hashes", async () => {
    await Book.create({ title: "Dune", pages: 412 });
    await Price.create({ id: "p", zone: "z", asset: "A", amount: 1 });
    const keys = await allKeys();
    const instances = keys.filter((k) => !k.startsWith("$"));
    expect(instances).toEqual(["Book:Dune", "Price:A:p"]);
    expect(await specKeys()).toEqual(
      [
        "$Class:Book",
        "$Class:Price",
        "$KeyF:Book:title:Dune",
        "$KeyF:Price:asset:A",
        "$KeyF:Price:id:p",
        "$SortF:Book:pages",
        "$SortF:Price:amount:z:A",
        "Book:Dune",
        "Price:A:p",
      ].sort(),
    );
  });
});

describe("rows written by Python Popoto", () => {
  const popotoBook = async (title: string, pagesHex: string, pages: number): Promise<void> => {
    const key = `Book:${title}`;
    await raw.hset(key, "title", Buffer.from(fixstr(title), "hex"), "pages", Buffer.from(pagesHex, "hex"));
    await raw.sadd("$Class:Book", key);
    await raw.sadd(`$KeyF:Book:title:${title}`, key);
    await raw.zadd("$SortF:Book:pages", pages, key);
  };

  it("loads, queries, counts and deletes them", async () => {
    await popotoBook("LOTR", "cd049a", 1178);
    await popotoBook("Hobbit", "cd0136", 310);
    const lotr = await Book.load({ title: "LOTR" });
    expect(lotr?.pages).toBe(1178);
    expect((await Book.query.filter({ pages__gt: 1000 })).map((b) => b.title)).toEqual(["LOTR"]);
    expect(await Book.query.count()).toBe(2);
    expect((await Book.query.filter({ title: "Hobbit" })).map((b) => b.pages)).toEqual([310]);
    expect(await lotr!.delete()).toBe(true);
    const hobbit = await Book.query.get({ title: "Hobbit" });
    expect(await hobbit!.delete()).toBe(true);
    expect(await allKeys()).toEqual([]);
  });

  it("updates a Popoto row in place, keeping the spec's index entries", async () => {
    await popotoBook("LOTR", "cd049a", 1178);
    const lotr = await Book.load({ title: "LOTR" });
    lotr!.pages = 1200;
    await lotr!.save();
    expect(await zmembers("$SortF:Book:pages")).toEqual({ "Book:LOTR": 1200 });
    expect(await members("$KeyF:Book:title:LOTR")).toEqual(["Book:LOTR"]);
    expect(await members("$Class:Book")).toEqual(["Book:LOTR"]);
    expect(await hexOf("Book:LOTR", "pages")).toBe("cd04b0");
  });

  it("reads a datetime stored as an ISO 8601 string, with or without an offset", async () => {
    const row = await AllTypes.create({
      id: "iso",
      s: "",
      i: 0,
      f: 0,
      b: true,
      by: new Uint8Array(),
      l: [],
      d: {},
      st: new Set(),
      tp: [],
      dec: "0",
      dt: DT,
      da: DAY,
      tm: "00:00",
      nul: null,
      _hidden: 0,
    });
    const iso = "2020-01-02T03:04:05.678901+00:00";
    await raw.hset(row.redisKey, "dt", Buffer.from(mpstr(iso), "hex"));
    expect((await AllTypes.load({ id: "iso" }))!.dt).toEqual(new Date("2020-01-02T03:04:05.678Z"));
    await raw.hset(row.redisKey, "dt", Buffer.from(taggedHex("__datetime__", mpstr(iso)), "hex"));
    expect((await AllTypes.load({ id: "iso" }))!.dt).toEqual(new Date("2020-01-02T03:04:05.678Z"));
    const naive = "2020-01-02T03:04:05.678901";
    await raw.hset(row.redisKey, "dt", Buffer.from(mpstr(naive), "hex"));
    expect((await AllTypes.load({ id: "iso" }))!.dt).toEqual(new Date("2020-01-02T03:04:05.678Z"));
  });

  it("a stored value of the wrong type is a CorruptDataError naming the key and field", async () => {
    await Book.create({ title: "Bad", pages: 1 });
    await raw.hset("Book:Bad", "pages", Buffer.from(fixstr("many"), "hex"));
    const error = await caught(() => Book.load({ title: "Bad" }), CorruptDataError);
    expect(error).toBeInstanceOf(PopotoError);
    expect(error.code).toBe("CORRUPT_DATA");
    expect(error.key).toBe("Book:Bad");
    expect(error.field).toBe("pages");
    expect(error.message).toContain("Book:Bad");
    await raw.hset("Book:Bad", "pages", Buffer.from("c1", "hex")); // never used in msgpack
    await caught(() => Book.query.all(), CorruptDataError);
  });
});
