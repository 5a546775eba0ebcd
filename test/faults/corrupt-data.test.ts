/**
 * Bad input, part 3: data damaged by another client (garbage bytes, a msgpack value of the wrong
 * type, a key of the wrong Redis type).
 *
 * What "not crashing the whole query" means here: a read that needs a corrupt value fails with a
 * CorruptDataError naming model, key and field, never a raw decoder or Redis error and never
 * silently altered data; a query does not return a partial list with the bad row quietly left
 * out (that would look like a complete answer), so `all()` and `values()` over the bad row throw
 * that CorruptDataError. Every read that does not need the bad value (other rows, count, keys,
 * a page without the row) keeps working, reading changes nothing, and the row can be deleted or
 * overwritten without leaving index entries behind.
 *
 * Shared server, test database (POPOTO_TEST_DB).
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  CorruptDataError,
  DatetimeField,
  Field,
  IntField,
  KeyField,
  Model,
  PopotoError,
  Relationship,
  SortedField,
} from "../../src/index.js";
import { fromClusterKey } from "../support/cluster-keys.js";
import { dump } from "../support/inspect.js";
import { raw, useRedis } from "../support/redis.js";

useRedis();

class Owner extends Model("Owner", { name: KeyField() }) {}
class Row extends Model("Row", {
  name: KeyField(),
  n: IntField(),
  score: SortedField({ type: "int" }),
  note: Field({ null: true }),
  owner: Relationship(Owner, { null: true }),
  at: DatetimeField({ null: true }),
}) {}

beforeEach(async () => {
  const owner = await Owner.create({ name: "o" });
  for (let i = 0; i < 3; i++)
    await Row.create({ name: `r${i}`, n: i, score: i, note: "fine", owner, at: new Date(0) });
});

const fixstr = (text: string): number[] => [0xa0 + Buffer.byteLength(text), ...Buffer.from(text)];

/** [description, field, bytes another client wrote into Row:r1]. */
const CORRUPT: [string, string, Buffer][] = [
  ["an unused msgpack type byte in an int field", "n", Buffer.from([0xc1])],
  ["a msgpack string in an int field", "n", Buffer.from(fixstr("12"))],
  ["a msgpack float in an int field", "n", Buffer.from([0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0])],
  ["a truncated uint16 in an int field", "n", Buffer.from([0xcd, 0x01])],
  ["trailing bytes after an int", "n", Buffer.from([0x01, 0x02])],
  ["an empty value", "n", Buffer.alloc(0)],
  ["plain text (not msgpack) in an int field", "n", Buffer.from("12")],
  ["a msgpack int in a string field", "note", Buffer.from([0x05])],
  [
    "a datetime map with bad text",
    "at",
    Buffer.from([0x82, ...fixstr("__datetime__"), 0xc3, ...fixstr("as_encodable"), ...fixstr("bad")]),
  ],
  ["a msgpack int in a relationship", "owner", Buffer.from([0x05])],
  ["garbage in a sorted field", "score", Buffer.from([0xc1])],
];

const corrupt = async (field: string, bytes: Buffer): Promise<void> => {
  await raw.hset("Row:r1", field, bytes);
};

/** Runs `action` and returns the CorruptDataError it threw (failing the test on anything else). */
async function corruptError(action: () => PromiseLike<unknown>): Promise<CorruptDataError> {
  let error: unknown;
  try {
    await action();
  } catch (e) {
    error = e;
  }
  expect(error, `expected CorruptDataError, got ${String(error)}`).toBeInstanceOf(CorruptDataError);
  return error as CorruptDataError;
}

const expectNames = (error: CorruptDataError, field: string): void => {
  expect(error).toBeInstanceOf(PopotoError);
  expect(error.code).toBe("CORRUPT_DATA");
  expect([error.model, error.key, error.field]).toEqual(["Row", "Row:r1", field]);
  expect(error.message).toContain("Row:r1");
  expect(error.message).toContain(`"${field}"`);
};

describe("a corrupt value written by another client", () => {
  it.each(CORRUPT)(
    "%s: reads that need it name model, key and field; other reads work",
    async (_l, field, bytes) => {
      await corrupt(field, bytes);
      const before = JSON.stringify(await dump());

      expectNames(await corruptError(() => Row.load({ name: "r1" })), field);
      expectNames(await corruptError(() => Row.query.all()), field);
      expectNames(await corruptError(() => Row.query.values("name", field as never)), field);

      // everything that does not read the bad value still works
      expect((await Row.load({ name: "r0" }))?.n).toBe(0);
      expect((await Row.query.filter({ name__in: ["r0", "r2"] })).map((r) => r.name).sort()).toEqual([
        "r0",
        "r2",
      ]);
      expect(await Row.query.count()).toBe(3);
      expect((await Row.query.keys()).sort()).toEqual(["Row:r0", "Row:r1", "Row:r2"]);
      expect((await Row.query.values("name")).map((v) => v.name).sort()).toEqual(["r0", "r1", "r2"]);
      if (field !== "score")
        expect((await Row.query.orderBy("-score").limit(1)).map((r) => r.name)).toEqual(["r2"]);
      // and reading changed nothing
      expect(JSON.stringify(await dump())).toBe(before);
    },
  );

  it("invalid UTF-8 in a string field is reported, not decoded into other characters", async () => {
    await corrupt("note", Buffer.from([0xa2, 0xff, 0xfe]));
    // observed: loads without error as "ÿþ" (U+00FF U+00FE)
    expectNames(await corruptError(() => Row.load({ name: "r1" })), "note");
  });

  it("a relationship holding a key of another model is reported", async () => {
    await corrupt("owner", Buffer.from(fixstr("Row:r0")));
    // observed: loads without error; row.owner is a Reference to "Row:r0" typed as an Owner
    expectNames(await corruptError(() => Row.load({ name: "r1" })), "owner");
  });

  it("the corrupt row can be overwritten by a full save, leaving the indexes consistent", async () => {
    await corrupt("score", Buffer.from([0xc1]));
    await corrupt("n", Buffer.from([0xc1]));
    await new Row({ name: "r1", n: 7, score: 70, note: null, owner: null, at: null }).save();
    expect((await Row.load({ name: "r1" }))?.n).toBe(7);
    expect(await raw.zscore("$SortF:Row:score", "Row:r1")).toBe("70");
    expect((await Row.checkIndexes()).differences).toEqual([]);
  });

  it("deleting a row with a corrupt sorted value removes its sorted index entry too", async () => {
    await corrupt("score", Buffer.from([0xc1]));
    expect(await Row.bulkDelete(["Row:r1"])).toBe(1);
    expect(await raw.exists("Row:r1")).toBe(0);
    // the member is known (the instance key) and this sorted set has no partition: ZREM needs no score
    // observed: $SortF:Row:score keeps Row:r1 (stale)
    expect(await raw.zscore("$SortF:Row:score", "Row:r1")).toBeNull();
    expect((await Row.checkIndexes()).differences).toEqual([]);
  });

  it("leftovers of a deleted corrupt row are reported by checkIndexes and removed by cleanIndexes", async () => {
    await corrupt("owner", Buffer.from([0xc1]));
    await corrupt("score", Buffer.from([0xc1]));
    expect(await Row.bulkDelete(["Row:r1"])).toBe(1);
    await Row.cleanIndexes();
    expect((await Row.checkIndexes()).differences).toEqual([]);
    expect(await raw.sismember("$RelationshipF:Row:owner:Owner:o", "Row:r1")).toBe(0);
    expect((await Row.query.filter({ owner: "Owner:o" })).map((r) => r.name).sort()).toEqual(["r0", "r2"]);
  });
});

describe("a key of the wrong Redis type", () => {
  it("an instance key holding a string: reads and writes fail with a PopotoError naming the key", async () => {
    await raw.del("Row:r1");
    await raw.set("Row:r1", "not a hash");
    const problems: string[] = [];
    const check = async (label: string, action: () => Promise<unknown>): Promise<void> => {
      try {
        await action();
        problems.push(`${label}: no error`);
      } catch (error) {
        const e = error as Error;
        // fromClusterKey: on the cluster pass the message names {Row}:r1 (identity on standalone)
        if (!(error instanceof PopotoError) || !fromClusterKey(e.message).includes("Row:r1"))
          problems.push(`${label}: ${e.name}: ${e.message.split("\n")[0]}`);
      }
    };
    await check("load", () => Row.load({ name: "r1" }));
    await check("query.all", () => Row.query.all());
    await check("save", () =>
      new Row({ name: "r1", n: 1, score: 1, note: null, owner: null, at: null }).save(),
    );
    // observed: raw ReplyError "WRONGTYPE Operation against a key holding the wrong kind of value"
    // from HGETALL (load), query.lua and write.lua
    expect(problems).toEqual([]);
    expect(await raw.get("Row:r1")).toBe("not a hash");
  });

  it("an index key holding a string: a save fails cleanly and writes nothing", async () => {
    await Owner.create({ name: "p" });
    await raw.set("$RelationshipF:Row:owner:Owner:p", "not a set");
    const before = JSON.stringify(await dump());
    const row = (await Row.load({ name: "r0" }))!;
    row.owner = "Owner:p" as never;
    row.score = 50;
    let error: unknown;
    try {
      await row.save();
    } catch (e) {
      error = e;
    }
    expect(error, "the save fails").toBeDefined();
    // observed: write.lua removed Row:r0 from $RelationshipF:Row:owner:Owner:o and set its score
    // to 50 before SADD hit WRONGTYPE; the hash still says owner o, score 0
    expect(JSON.stringify(await dump()), "nothing was written").toBe(before);
    expect(error, String(error)).toBeInstanceOf(PopotoError);
  });

  it("the class set holding a string: a create fails naming it and writes nothing", async () => {
    // write.lua's fingerprint read sends SCARD to the class set, which proves it a set when it
    // answers a count; answering an error it proves nothing, and the type check still refuses.
    await Owner.create({ name: "solo" });
    await raw.del("$Class:Owner");
    await raw.set("$Class:Owner", "not a set");
    const before = JSON.stringify(await dump());
    let error: unknown;
    try {
      await Owner.create({ name: "fresh" });
    } catch (e) {
      error = e;
    }
    expect(error, String(error)).toBeInstanceOf(PopotoError);
    expect(String(error)).toContain("$Class:Owner");
    expect(JSON.stringify(await dump()), "nothing was written").toBe(before);
  });

  it("a loaded row replaced by a string, then a save that checks nothing: fails, writes nothing", async () => {
    const row = (await Row.load({ name: "r2" }))!;
    await raw.del("Row:r2");
    await raw.set("Row:r2", "not a hash");
    const before = JSON.stringify(await dump());
    row.note = "changed"; // a plain field: write.lua reads no stored value, its HSET is the first write
    row.score = 9; // and a ZADD after it
    const error = await row.save().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, String(error)).toBeInstanceOf(PopotoError);
    // toMatch, not toThrow: on a cluster the message names `{Row}:r2` (matched modulo tags)
    expect((error as PopotoError).message).toMatch(/Row:r2/);
    expect(JSON.stringify(await dump()), "nothing was written").toBe(before);
  });

  it("an index key of another type the write only removes from: the save goes through", async () => {
    await Owner.create({ name: "p" });
    // another client's string where Row:r0's old reverse set was: it holds none of popoto's entries
    await raw.del("$RelationshipF:Row:owner:Owner:o");
    await raw.set("$RelationshipF:Row:owner:Owner:o", "not a set");
    const row = (await Row.load({ name: "r0" }))!;
    row.owner = "Owner:p" as never;
    await row.save();
    expect(await raw.get("$RelationshipF:Row:owner:Owner:o")).toBe("not a set");
    expect(await raw.smembers("$RelationshipF:Row:owner:Owner:p")).toEqual(["Row:r0"]);
    expect(await raw.hget("Row:r0", "owner")).toContain("Owner:p");
  });
});
