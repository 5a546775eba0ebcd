/**
 * Python Popoto 0.8.3's own test suite, ported (popoto-behaviour.md §14; numbering kept):
 * items 1-8, 14-24, 27, 31-44, 49-58 and 63. Geo, DataFrame, relationships, pub/sub and
 * batches belong to other suites.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  AutoKeyField,
  BooleanField,
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
  ModelDefinitionError,
  SetField,
  SortedField,
  SortedKeyField,
  StringField,
  TimeField,
  TupleField,
  UniqueKeyField,
} from "../../src/index.js";
import { members, scanKeys } from "../support/inspect.js";
import { allKeys, raw, useRedis } from "../support/redis.js";

useRedis();

// ---------------------------------------------------------------------------------------------
// Basic models (items 1-6)

class SimpleKeyModel extends Model("SimpleKeyModel", { key: KeyField(), name: Field({ null: true }) }) {}
class AutoKeyModel extends Model("AutoKeyModel", { auto: AutoKeyField(), name: Field() }) {}
class NoKeyModel extends Model("NoKeyModel", { name: Field() }) {}
class ThreeKeyModel extends Model("ThreeKeyModel", {
  key1: KeyField(),
  key2: KeyField(),
  key3: KeyField({ type: "int" }),
  note: Field({ null: true }),
}) {}

describe("basic models", () => {
  it("1. an instance built empty, assigned and saved equals what get() returns", async () => {
    const instance = new SimpleKeyModel();
    instance.key = "k1";
    instance.name = "first";
    await instance.save();
    const got = await SimpleKeyModel.query.get({ key: "k1" });
    expect(got?.redisKey).toBe(instance.redisKey);
    expect(got?.toJSON()).toEqual(instance.toJSON());
  });

  it("2. create() returns an instance equal to the one get() returns", async () => {
    const created = await SimpleKeyModel.create({ key: "k2", name: "second" });
    const got = await SimpleKeyModel.query.get({ key: "k2" });
    expect(got?.redisKey).toBe(created.redisKey);
    expect(got?.toJSON()).toEqual(created.toJSON());
  });

  it("3. deleting every row from all() leaves all() empty and no instance hash", async () => {
    for (let i = 0; i < 5; i++) await SimpleKeyModel.create({ key: `k${i}` });
    for (const row of await SimpleKeyModel.query.all()) expect(await row.delete()).toBe(true);
    expect(await SimpleKeyModel.query.all()).toEqual([]);
    expect(await scanKeys("SimpleKeyModel:*")).toEqual([]);
  });

  it("4. an explicit AutoKeyField gets a value on create and get() by it finds the row", async () => {
    const created = await AutoKeyModel.create({ name: "auto" });
    expect(created.auto).toMatch(/^[0-9a-f]{32}$/);
    expect((await AutoKeyModel.query.get({ auto: created.auto }))?.name).toBe("auto");
  });

  it("5. a model without key fields gets a hidden _auto_key; its key is Model:<_auto_key>", async () => {
    const created = await NoKeyModel.create({ name: "n" });
    expect(created._auto_key).toMatch(/^[0-9a-f]{32}$/);
    expect(created.redisKey).toBe(`NoKeyModel:${created._auto_key}`);
    expect(await raw.exists(`NoKeyModel:${created._auto_key}`)).toBe(1);
  });

  it("6. with three key fields, get() given all three returns the created row", async () => {
    const created = await ThreeKeyModel.create({ key1: "a", key2: "b", key3: 3, note: "n" });
    const got = await ThreeKeyModel.query.get({ key1: "a", key2: "b", key3: 3 });
    expect(got?.redisKey).toBe(created.redisKey);
    expect(got?.note).toBe("n");
  });
});

// ---------------------------------------------------------------------------------------------
// Field types (items 7-8)

class TypesModel extends Model("TypesModel", {
  int_field: IntField(),
  float_field: FloatField(),
  decimal_field: DecimalField(),
  string_field: StringField(),
  boolean_field: BooleanField(),
  bytes_field: BytesField(),
  list_field: ListField(),
  dict_field: DictField(),
  set_field: SetField(),
  tuple_field: TupleField(),
  date_field: DateField(),
  datetime_field: DatetimeField(),
  time_field: TimeField(),
}) {}

class NullTypesModel extends Model("NullTypesModel", {
  int_field: IntField({ null: true }),
  float_field: FloatField({ null: true }),
  decimal_field: DecimalField({ null: true }),
  string_field: StringField({ null: true }),
  boolean_field: BooleanField({ null: true }),
  bytes_field: BytesField({ null: true }),
  list_field: ListField({ null: true }),
  dict_field: DictField({ null: true }),
  set_field: SetField({ null: true }),
  tuple_field: TupleField({ null: true }),
  date_field: DateField({ null: true }),
  datetime_field: DatetimeField({ null: true }),
  time_field: TimeField({ null: true }),
}) {}

describe("field types", () => {
  it("7. thirteen non-nullable typed fields round-trip through all()", async () => {
    const values = {
      int_field: 1,
      float_field: 1.5,
      decimal_field: "1.00",
      string_field: "one",
      boolean_field: true,
      bytes_field: new Uint8Array([1]),
      list_field: [1],
      dict_field: { one: 1 },
      set_field: new Set([1]),
      tuple_field: [1],
      date_field: new Date("2020-01-01T00:00:00Z"),
      datetime_field: new Date("2020-01-01T13:11:00Z"),
      time_field: "01:11:01.000111",
    };
    await TypesModel.create(values);
    const [row] = await TypesModel.query.all();
    expect(row).toBeDefined();
    const json = row!.toJSON();
    expect(json["int_field"]).toBe(1);
    expect(json["float_field"]).toBe(1.5);
    expect(json["decimal_field"]).toBe("1.00");
    expect(json["string_field"]).toBe("one");
    expect(json["boolean_field"]).toBe(true);
    expect(Array.from(row!.bytes_field)).toEqual([1]);
    expect(json["list_field"]).toEqual([1]);
    expect(json["dict_field"]).toEqual({ one: 1 });
    expect(json["set_field"]).toEqual([1]); // JSON has no sets: toJSON() gives an array
    expect(json["tuple_field"]).toEqual([1]);
    expect(json["date_field"]).toEqual(new Date("2020-01-01T00:00:00Z"));
    expect(json["datetime_field"]).toEqual(new Date("2020-01-01T13:11:00Z"));
    expect(json["time_field"]).toBe("01:11:01.000111");
  });

  it("8. the thirteen types declared nullable: create() with no values reads back null", async () => {
    await NullTypesModel.create({});
    const [row] = await NullTypesModel.query.all();
    expect(row).toBeDefined();
    for (const [name, value] of Object.entries(row!.toJSON())) expect(value, name).toBeNull();
    expect(Object.keys(row!.toJSON()).length).toBe(13);
  });
});

// ---------------------------------------------------------------------------------------------
// Key fields (items 14-24)

class UniqueModel extends Model("UniqueModel", { code: UniqueKeyField(), name: Field() }) {}
class KPop extends Model("KPop", {
  band: KeyField({ null: true }),
  role: KeyField({ null: true }),
  name: Field(),
}) {}
class HiddenAuto extends Model("HiddenAuto", { name: Field() }) {}

describe("key fields", () => {
  it("14. a UniqueKeyField row is found by get() on its value", async () => {
    await UniqueModel.create({ code: "abc", name: "unique" });
    expect((await UniqueModel.query.get({ code: "abc" }))?.name).toBe("unique");
  });

  describe("two key fields (band, role)", () => {
    beforeEach(async () => {
      await KPop.create({ band: "BLACKPINK", role: "singer", name: "Jisoo" });
      await KPop.create({ band: "BLACKPINK", role: "rapper", name: "Lisa" });
      await KPop.create({ band: "BLACKPINK", role: "dancer", name: "Jennie" });
      await KPop.create({ band: "Mamamoo", role: "singer", name: "Solar" });
      await KPop.create({ band: "Mamamoo", role: "dancer", name: "Hwasa" });
    });

    it("15. prefix, suffix, __in, exact and case-sensitive lookups", async () => {
      expect((await KPop.query.filter({ band__startswith: "BLACK" })).length).toBe(3);
      expect((await KPop.query.filter({ band__endswith: "PINK" })).length).toBe(3);
      expect((await KPop.query.filter({ band__in: ["BLACKPINK", "Mamamoo"] })).length).toBe(5);
      expect((await KPop.query.filter({ band: "BLACKPINK" })).length).toBe(3);
      expect((await KPop.query.filter({ band: "blackpink" })).length).toBe(0);
      expect((await KPop.query.filter({ role: "singer" })).length).toBe(2);
      expect((await KPop.query.get({ band: "Mamamoo", role: "dancer" }))?.name).toBe("Hwasa");
    });

    it("19. the class set's size equals all() and the number of instance hashes", async () => {
      const size = await raw.scard("$Class:KPop");
      expect(size).toBe(5);
      expect((await KPop.query.all()).length).toBe(size);
      expect((await scanKeys("KPop:*")).length).toBe(size);
    });

    it("20-22. $KeyF sets hold exactly their keys, and shrink with each delete", async () => {
      await (await KPop.load({ band: "BLACKPINK", role: "dancer" }))!.delete();
      expect(await members("$KeyF:KPop:band:BLACKPINK")).toEqual([
        "KPop:BLACKPINK:rapper",
        "KPop:BLACKPINK:singer",
      ]);
      expect(await members("$KeyF:KPop:role:singer")).toEqual([
        "KPop:BLACKPINK:singer",
        "KPop:Mamamoo:singer",
      ]);
      // 21
      expect((await KPop.query.filter({ band: "Mamamoo" })).length).toBe(2);
      expect((await KPop.query.filter({ band: "Mamamoo", role: "singer" })).map((m) => m.name)).toEqual([
        "Solar",
      ]);
      expect((await KPop.query.filter({ band: "BLACKPINK", role: "rapper" })).map((m) => m.name)).toEqual([
        "Lisa",
      ]);
      // 22
      const remaining = await KPop.query.filter({ band: "BLACKPINK" });
      expect(await raw.scard("$KeyF:KPop:band:BLACKPINK")).toBe(2);
      await remaining[0]!.delete();
      expect(await raw.scard("$KeyF:KPop:band:BLACKPINK")).toBe(1);
      await remaining[1]!.delete();
      expect(await raw.scard("$KeyF:KPop:band:BLACKPINK")).toBe(0);
      expect(await KPop.query.filter({ band: "BLACKPINK" })).toEqual([]);
    });

    it("23. a row with both key fields null is found by both __isnull lookups, under the None part", async () => {
      const nobody = await KPop.create({ name: "Nobody" });
      expect(nobody.redisKey).toBe("KPop:None:None");
      expect(
        (await KPop.query.filter({ role__isnull: true, band__isnull: true })).map((m) => m.name),
      ).toEqual(["Nobody"]);
      expect(await members("$KeyF:KPop:band:None")).toEqual(["KPop:None:None"]);
      expect(await members("$KeyF:KPop:role:None")).toEqual(["KPop:None:None"]);
    });

    it("17, 24. after deleting every row, all() is empty and no class or $KeyF set exists", async () => {
      await KPop.create({ name: "Nobody" });
      for (const row of await KPop.query.all()) await row.delete();
      expect(await KPop.query.all()).toEqual([]);
      expect(await raw.exists("$Class:KPop")).toBe(0);
      expect(await scanKeys("$KeyF:KPop:*")).toEqual([]);
      expect(await allKeys()).toEqual([]);
    });
  });

  it("16. a hidden auto key: in all(), in the field list, and a part of the instance key", async () => {
    const created = await HiddenAuto.create({ name: "h" });
    const [row] = await HiddenAuto.query.all();
    expect(row?._auto_key).toBe(created._auto_key);
    expect(HiddenAuto.meta.fieldNames).toContain("_auto_key");
    expect(row!.redisKey.split(":")).toContain(row!._auto_key);
  });

  it("18. a KeyField of type list or dict fails at model definition", () => {
    expect(() => Model("ListKey", { tags: KeyField({ type: "list" } as never) })).toThrow(
      ModelDefinitionError,
    );
    expect(() => Model("DictKey", { meta: KeyField({ type: "dict" } as never) })).toThrow(
      ModelDefinitionError,
    );
  });

  it("27. an instance can be constructed with no values", () => {
    const empty = new KPop();
    expect(empty.band).toBeNull();
    expect(empty.name).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Queries (items 31-34)

describe("queries with three key fields", () => {
  beforeEach(async () => {
    await ThreeKeyModel.create({ key1: "one", key2: "stamp", key3: 1 });
    await ThreeKeyModel.create({ key1: "two", key2: "seal", key3: 2 });
    await ThreeKeyModel.create({ key1: "three", key2: "mark", key3: 3 });
  });

  it("31. each single key finds its row, counts 1, and a wrong combination finds nothing", async () => {
    expect((await ThreeKeyModel.query.filter({ key1: "one" })).map((r) => r.key3)).toEqual([1]);
    expect((await ThreeKeyModel.query.filter({ key2: "seal" })).map((r) => r.key3)).toEqual([2]);
    expect((await ThreeKeyModel.query.filter({ key3: 3 })).map((r) => r.key1)).toEqual(["three"]);
    expect(await ThreeKeyModel.query.count({ key1: "one" })).toBe(1);
    expect(await ThreeKeyModel.query.filter({ key1: "one", key2: "seal" })).toEqual([]);
  });

  it("32. get() with all keys, a missing combination, and counts", async () => {
    expect((await ThreeKeyModel.query.get({ key1: "two", key2: "seal", key3: 2 }))?.key1).toBe("two");
    expect(await ThreeKeyModel.query.get({ key1: "two", key2: "seal", key3: 3 })).toBeNull();
    expect(await ThreeKeyModel.query.count({ key1: "two", key2: "stamp" })).toBe(0);
    expect(await ThreeKeyModel.query.count({ key2: "stamp" })).toBe(1);
    expect(await ThreeKeyModel.query.count()).toBe(3);
  });

  it("33. __in over every value with limit 2 returns exactly 2 rows", async () => {
    expect((await ThreeKeyModel.query.filter({ key1__in: ["one", "two", "three"] }).limit(2)).length).toBe(2);
  });

  it("34. after deleting all rows, count() is 0", async () => {
    for (const row of await ThreeKeyModel.query.all()) await row.delete();
    expect(await ThreeKeyModel.query.count()).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Query results (items 35-44)

class QueryResults extends Model("QueryResults", {
  name: Field(),
  str_key: KeyField(),
  int_key: KeyField({ type: "int" }),
  float_value: FloatField({ null: true }),
  str_value: Field({ null: true }),
}) {}

describe("query results", () => {
  beforeEach(async () => {
    await QueryResults.create({
      name: "thing_1",
      str_key: "1",
      int_key: 1,
      float_value: 0.5,
      str_value: "1.1",
    });
    await QueryResults.create({
      name: "thing_2",
      str_key: "2",
      int_key: 2,
      float_value: 2.5,
      str_value: "2.2",
    });
    await QueryResults.create({ name: "zero", str_key: "0", int_key: 0, float_value: null, str_value: null });
    await QueryResults.create({
      name: "r_thing",
      str_key: "1",
      int_key: 5,
      float_value: 1.123,
      str_value: "r",
    });
  });

  const names = (rows: { name: string }[]): string[] => rows.map((r) => r.name);

  it("35. all() returns 4 rows", async () => {
    expect((await QueryResults.query.all()).length).toBe(4);
  });

  it("36. ordering by float_value puts the null row first", async () => {
    expect((await QueryResults.query.orderBy("float_value"))[0]?.name).toBe("zero");
  });

  it("37. ordering by str_key and by float_value with a limit", async () => {
    expect(names(await QueryResults.query.orderBy("str_key")).at(-1)).toBe("thing_2");
    const byFloat = await QueryResults.query.orderBy("float_value").limit(3);
    expect(byFloat.length).toBe(3);
    expect(byFloat.at(-1)?.float_value).toBe(1.123);
  });

  it("38. str_key__startswith ordered by int_key", async () => {
    expect(names(await QueryResults.query.filter({ str_key__startswith: "1" }).orderBy("int_key"))[0]).toBe(
      "thing_1",
    );
  });

  it("39. limit, and a number given for a string key matches the stored text", async () => {
    expect((await QueryResults.query.limit(2)).length).toBe(2);
    const rows = await QueryResults.query.filter({ str_key: 1 as unknown as string }).limit(1);
    expect(rows.length).toBe(1);
    expect(rows[0]?.str_key).toBe("1");
    expect((await QueryResults.query.filter({ str_key: 1 as unknown as string })).length).toBe(2);
  });

  it("40. __in with limit 1 applies the limit after ordering", async () => {
    const q = QueryResults.query.filter({ str_key__in: ["1", "2"] });
    expect(names(await q.orderBy("int_key").limit(1))).toEqual(["thing_1"]);
    expect(names(await q.orderBy("-int_key").limit(1))).toEqual(["r_thing"]);
    expect(names(await q.orderBy("float_value").limit(1))).toEqual(["thing_1"]);
    expect(names(await q.orderBy("-float_value").limit(1))).toEqual(["thing_2"]);
  });

  it("41. values('int_key') returns records of only int_key, as numbers", async () => {
    const rows = await QueryResults.query.values("int_key");
    for (const row of rows) expect(Object.keys(row)).toEqual(["int_key"]);
    expect(rows.map((r) => r.int_key).sort()).toEqual([0, 1, 2, 5]);
    for (const row of rows) expect(typeof row.int_key).toBe("number");
  });

  it("42. values(int_key, float_value) ordered by int_key: the first float_value is null", async () => {
    const rows = await QueryResults.query.orderBy("int_key").values("int_key", "float_value");
    expect(rows[0]).toEqual({ int_key: 0, float_value: null });
  });

  it("43. str_key__startswith '2' with values('str_value')", async () => {
    expect(await QueryResults.query.filter({ str_key__startswith: "2" }).values("str_value")).toEqual([
      { str_value: "2.2" },
    ]);
  });

  it("44. after deleting all rows, count() is 0", async () => {
    for (const row of await QueryResults.query.all()) await row.delete();
    expect(await QueryResults.query.count()).toBe(0);
    expect(await allKeys()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Sorted fields (items 49-58)

class Birthday extends Model("Birthday", { name: KeyField(), birthday: SortedField({ type: "date" }) }) {}
class Counted extends Model("Counted", { name: KeyField(), count: SortedField({ type: "int" }) }) {}
class Driver extends Model("Driver", { name: KeyField(), fastest_lap: SortedField({ type: "float" }) }) {}
class AssetPrice extends Model("AssetPrice", {
  uid: AutoKeyField({ length: 6 }),
  ref: UniqueKeyField(),
  asset_id: KeyField(),
  market: KeyField(),
  timestamp: SortedKeyField({ type: "datetime", partitionBy: ["asset_id", "market"] }),
  market_cap: SortedField({ type: "decimal", partitionBy: "market" }),
  price: DecimalField(),
}) {}

const day = (iso: string): Date => new Date(`${iso}T00:00:00Z`);
const at = (hour: number): Date => new Date(Date.UTC(2021, 5, 1, hour));

describe("sorted fields", () => {
  it("49. date SortedField: __lt and __gt", async () => {
    await Birthday.create({ name: "Lisa", birthday: day("1997-03-27") });
    await Birthday.create({ name: "Jennie", birthday: day("1996-01-16") });
    await Birthday.create({ name: "Jisoo", birthday: day("1995-01-03") });
    expect((await Birthday.query.all()).length).toBe(3);
    expect((await Birthday.query.filter({ birthday__lt: day("1996-01-01") })).map((b) => b.name)).toEqual([
      "Jisoo",
    ]);
    expect((await Birthday.query.filter({ birthday__gt: day("1996-01-16") })).map((b) => b.name)).toEqual([
      "Lisa",
    ]);
  });

  it("50. int SortedField: __gt contains the expected row", async () => {
    await Counted.create({ name: "a", count: 1 });
    await Counted.create({ name: "b", count: 10 });
    await Counted.create({ name: "c", count: 100 });
    const names = (await Counted.query.filter({ count__gt: 10 })).map((c) => c.name);
    expect(names).toEqual(["c"]);
  });

  it("51-52. float SortedField: __gte includes an equal value, __gt excludes it", async () => {
    await Driver.create({ name: "Hamilton", fastest_lap: 53.5 });
    await Driver.create({ name: "Verstappen", fastest_lap: 54.25 });
    await Driver.create({ name: "Leclerc", fastest_lap: 55.75 });
    await Driver.create({ name: "Norris", fastest_lap: 56 });
    expect((await Driver.query.filter({ fastest_lap__gte: 55.75 })).map((d) => d.name).sort()).toEqual([
      "Leclerc",
      "Norris",
    ]);
    expect((await Driver.query.filter({ fastest_lap__gt: 55.75 })).map((d) => d.name)).toEqual(["Norris"]);
    expect((await Driver.query.filter({ fastest_lap__lt: 55 })).length).toBe(2);
    expect((await Driver.query.filter({ fastest_lap__gte: 54.25 })).length).toBe(3);
  });

  describe("53-57. partitioned datetime SortedKeyField and Decimal SortedField", () => {
    beforeEach(async () => {
      let n = 0;
      for (const asset_id of ["BENT", "SPOON"]) {
        for (const market of ["beefi", "damnance"]) {
          for (let hour = 0; hour < 23; hour++) {
            await AssetPrice.create({
              ref: `r${n++}`,
              asset_id,
              market,
              timestamp: at(hour),
              market_cap: `${1000 + hour}.5`,
              price: `${hour}.25`,
            });
          }
        }
      }
    });

    it("53. 92 rows are created", async () => {
      expect(await AssetPrice.query.count()).toBe(92);
      const [one] = await AssetPrice.query.limit(1);
      expect(one?.uid).toMatch(/^[0-9a-f]{6}$/);
    });

    it("54. filter(market) ordered by market_cap returns 46, in market_cap order", async () => {
      const rows = await AssetPrice.query.filter({ market: "beefi" }).orderBy("market_cap");
      expect(rows.length).toBe(46);
      const caps = rows.map((r) => Number(r.market_cap));
      expect(caps).toEqual([...caps].sort((a, b) => a - b));
    });

    it("55. market and asset_id together: 23", async () => {
      expect((await AssetPrice.query.filter({ market: "damnance", asset_id: "BENT" })).length).toBe(23);
    });

    it("56. a time range inside one partition: 8", async () => {
      const rows = await AssetPrice.query.filter({
        timestamp__gte: at(12),
        timestamp__lt: at(20),
        asset_id: "SPOON",
        market: "damnance",
      });
      expect(rows.length).toBe(8);
      for (const row of rows) {
        expect(row.asset_id).toBe("SPOON");
        expect(row.market).toBe("damnance");
      }
    });

    it("57. values(timestamp, price) ordered by timestamp ends at the inclusive bound", async () => {
      const rows = await AssetPrice.query
        .filter({ timestamp__gte: at(12), timestamp__lte: at(18), asset_id: "SPOON", market: "damnance" })
        .orderBy("timestamp")
        .values("timestamp", "price");
      expect(rows.length).toBe(7);
      expect(rows.at(-1)?.timestamp).toEqual(at(18));
      expect(rows.at(-1)?.price).toBe("18.25");
      for (const row of rows) expect(Object.keys(row)).toEqual(["timestamp", "price"]);
    });
  });

  it("58. Model.objects answers like Model.query", async () => {
    await Counted.create({ name: "a", count: 1 });
    await Counted.create({ name: "b", count: 2 });
    expect((await Counted.objects.filter({ count__gt: 1 })).map((c) => c.name)).toEqual(
      (await Counted.query.filter({ count__gt: 1 })).map((c) => c.name),
    );
    expect(await Counted.objects.count()).toBe(2);
    expect(Object.getPrototypeOf(Counted.objects)).toBe(Object.getPrototypeOf(Counted.query));
  });
});

// ---------------------------------------------------------------------------------------------
// Unknown options (item 63): popoto rejects them with a clear error rather than ignoring them.

describe("unknown options", () => {
  it("63. an unknown field option or model option is refused at definition", () => {
    expect(() => Model("UnknownFieldOption", { id: KeyField({ colour: "red" } as never) })).toThrow(
      /unknown option "colour"/,
    );
    expect(() => Model("UnknownModelOption", { id: KeyField() }, { unique_together: [] } as never)).toThrow(
      /unknown model option "unique_together"/,
    );
  });
});
