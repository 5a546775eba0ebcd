/**
 * Popoto 1.x's `$Index:Model:a:b` hash for unique composite indexes, in raw bytes: popoto writes
 * and removes its entries in the same atomic write as the rest of the instance, so a Python 1.x
 * writer's uniqueness check (HGET of the digest) sees every combination popoto holds, and popoto
 * refuses a combination a Python writer recorded there. The expected digests are computed here
 * from the Python `str()` texts (printed by Python 3), as Popoto 1.x computes them.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { IndexedField, KeyField, Model, SortedField, UniqueViolationError } from "../../src/index.js";
import { caught, dump } from "../support/inspect.js";
import { raw, useRedis } from "../support/redis.js";

useRedis();

/** sha256(":".join(str(v) for v in values).encode()).hexdigest()[:16], as Popoto 1.x. */
const digest = (...texts: string[]): string =>
  createHash("sha256").update(texts.join(":"), "utf8").digest("hex").slice(0, 16);

class Issue extends Model(
  "Issue",
  {
    code: KeyField(),
    isbn: IndexedField(),
    number: IndexedField({ type: "int", null: true }),
    note: IndexedField({ null: true }),
  },
  { indexes: [{ fields: ["isbn", "number"], unique: true }, ["isbn", "note"]] },
) {}
class Reading extends Model(
  "Reading",
  {
    id: KeyField(),
    at: SortedField({ type: "datetime" }),
    ok: IndexedField({ type: "boolean" }),
    amount: IndexedField({ type: "decimal" }),
    ratio: SortedField({ type: "float" }),
  },
  { indexes: [{ fields: ["at", "ok", "amount", "ratio"], unique: true }] },
) {}

const HASH = "$Index:Issue:isbn:number";
const entries = async (key = HASH): Promise<Record<string, string>> => raw.hgetall(key);

describe("the $Index hash of a unique composite index", () => {
  it("maps the digest of the values' Python str() to the instance key; null and plain indexes write none", async () => {
    await Issue.create({ code: "a", isbn: "978-0", number: 1, note: "x" });
    await Issue.create({ code: "n", isbn: "978-0", number: null });
    expect(await entries()).toEqual({ [digest("978-0", "1")]: "Issue:a" });
    expect(digest("978-0", "1")).toBe("4f45cc65603714a0"); // as Python printed it
    expect(await raw.exists("$Index:Issue:isbn:note")).toBe(0);
  });

  it("hashes floats, booleans, decimals and datetimes in Python's forms", async () => {
    await Reading.create({
      id: "r1",
      at: new Date("2020-01-02T03:04:05.678Z"),
      ok: true,
      amount: "0.0000001",
      ratio: 1e16,
    });
    expect(await entries("$Index:Reading:at:ok:amount:ratio")).toEqual({
      [digest("2020-01-02T03:04:05.678000Z", "True", "1E-7", "1e+16")]: "Reading:r1",
    });
  });

  it("moves with a full save, a partial save and a key change, and goes with the delete", async () => {
    const issue = await Issue.create({ code: "a", isbn: "x", number: 1 });
    issue.number = 2;
    await issue.save();
    expect(await entries()).toEqual({ [digest("x", "2")]: "Issue:a" });
    issue.number = 3;
    await issue.save({ fields: ["number"] });
    expect(await entries()).toEqual({ [digest("x", "3")]: "Issue:a" });
    await Issue.query.filter({ code: "a" }).update({ number: 4 });
    expect(await entries()).toEqual({ [digest("x", "4")]: "Issue:a" });
    const loaded = (await Issue.load({ code: "a" }))!;
    loaded.code = "b";
    await loaded.save();
    expect(await entries()).toEqual({ [digest("x", "4")]: "Issue:b" });
    loaded.number = null;
    await loaded.save();
    expect(await raw.exists(HASH)).toBe(0);
    loaded.number = 5;
    await loaded.save();
    await loaded.delete();
    expect(await raw.exists(HASH)).toBe(0);
  });

  it("refuses a combination a Python writer holds there, and writes nothing", async () => {
    // As Popoto 1.x stores an Issue: its hash, and the digest naming it (no $CompositeF set).
    await raw.hset("Issue:py", "code", Buffer.from([0xa2, 0x70, 0x79]));
    await raw.hset(HASH, digest("978-0", "1"), "Issue:py");
    const before = await dump();
    const error = await caught(
      () => Issue.create({ code: "a", isbn: "978-0", number: 1 }),
      UniqueViolationError,
    );
    expect(error.field).toBe("isbn+number");
    expect(error.value).toEqual(["978-0", 1]);
    expect(error.holder).toBe("Issue:py");
    expect(await dump()).toEqual(before);
  });

  it("takes over an entry whose holder is gone, and never removes another instance's entry", async () => {
    await raw.hset(HASH, digest("978-0", "1"), "Issue:gone");
    await Issue.create({ code: "a", isbn: "978-0", number: 1 });
    expect(await entries()).toEqual({ [digest("978-0", "1")]: "Issue:a" });
    // A Python writer took the field meanwhile: popoto's delete leaves it to its holder.
    await raw.hset(HASH, digest("978-0", "1"), "Issue:py");
    await (await Issue.load({ code: "a" }))!.delete();
    expect(await entries()).toEqual({ [digest("978-0", "1")]: "Issue:py" });
  });

  it("check finds missing and stale entries; clean and rebuild repair them", async () => {
    await Issue.create({ code: "a", isbn: "x", number: 1 });
    await Issue.create({ code: "b", isbn: "x", number: 2 });
    await raw.hdel(HASH, digest("x", "1"));
    await raw.hset(HASH, digest("x", "9"), "Issue:b");
    const summary = (await Issue.checkIndexes()).differences.map((d) => `${d.kind} ${d.index} ${d.instance}`);
    expect(summary.sort()).toEqual([`missing ${HASH} Issue:a`, `stale ${HASH} Issue:b`]);
    await Issue.cleanIndexes();
    expect(await entries()).toEqual({ [digest("x", "2")]: "Issue:b" });
    await Issue.rebuildIndexes();
    expect((await Issue.checkIndexes()).differences).toEqual([]);
    expect(await entries()).toEqual({ [digest("x", "1")]: "Issue:a", [digest("x", "2")]: "Issue:b" });
  });
});
