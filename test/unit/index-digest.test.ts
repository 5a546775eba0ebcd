/**
 * Popoto 1.x's `$Index` hash for unique composite indexes, as data: Python's `str()` of each field
 * type (the text Popoto hashes), the digest, the entries a write adds and removes, and the
 * write.lua arguments that carry them. The expected texts were printed by Python 3
 * (`python3 -c 'print(str(1e16))'`); the digests are recomputed here from those texts with Node's
 * crypto, and three are also given as Python printed them.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { IndexedField, KeyField, Model, Relationship, SortedField } from "../../src/index.js";
import { indexDigest, pythonStr } from "../../src/keys/index-digest.js";
import { compositeIndexHash } from "../../src/keys/keys.js";
import { saveIntent } from "../../src/write/execute-write.js";
import { diffEntries, hashMember, indexEntries } from "../../src/write/index-entries.js";
import { planWrites } from "../../src/write/plan-write.js";
import { commutingIncrement } from "../../src/write/plan-commute.js";

/** Popoto 1.x: sha256(":".join(str(v) for v in values).encode()).hexdigest()[:16]. */
const python = (...texts: string[]): string =>
  createHash("sha256").update(texts.join(":"), "utf8").digest("hex").slice(0, 16);

describe("pythonStr: Python's str() of each field type", () => {
  it("floats as repr: a .0 on whole numbers, an exponent below 1e-4 and from 1e16", () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [1e16, "1e+16"],
      [1.5e16, "1.5e+16"],
      [1e15, "1000000000000000.0"],
      [0.1 + 0.2, "0.30000000000000004"],
      [-0, "-0.0"],
      [1e-5, "1e-05"],
      [0.0001, "0.0001"],
      [2.5e-7, "2.5e-07"],
      [5e-324, "5e-324"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [123456789012345.6, "123456789012345.6"],
    ];
    for (const [value, text] of cases) expect(pythonStr("float", value)).toBe(text);
  });

  it("ints, booleans and strings (unescaped: a ':' stays)", () => {
    expect(pythonStr("int", -3)).toBe("-3");
    expect(pythonStr("int", 10 ** 15)).toBe("1000000000000000");
    expect(pythonStr("boolean", true)).toBe("True");
    expect(pythonStr("boolean", false)).toBe("False");
    expect(pythonStr("string", "a:b-c")).toBe("a:b-c");
    expect(pythonStr("string", "café 東京 🙂")).toBe("café 東京 🙂");
  });

  it("decimals as str(Decimal): the exact text, tiny values with an exponent", () => {
    expect(pythonStr("decimal", "1.10")).toBe("1.10");
    expect(pythonStr("decimal", "-5")).toBe("-5");
    expect(pythonStr("decimal", "0.0000001")).toBe("1E-7");
    expect(pythonStr("decimal", "0.00000000")).toBe("0E-8");
  });

  it("dates, times, and datetimes as canonical_key_str's UTC instant (T and Z, not str()'s space)", () => {
    expect(pythonStr("date", new Date("2020-01-02T00:00:00Z"))).toBe("2020-01-02");
    expect(pythonStr("time", "01:02:03.000000")).toBe("01:02:03");
    expect(pythonStr("time", "01:02:03.000004")).toBe("01:02:03.000004");
    expect(pythonStr("datetime", new Date("2020-01-02T03:04:05.678Z"))).toBe("2020-01-02T03:04:05.678000Z");
  });

  it("a relationship as the related key; null as no text at all (no entry)", () => {
    expect(pythonStr("relationship", "Author:Tol/-kien")).toBe("Author:Tol/-kien");
    expect(pythonStr("string", null)).toBeUndefined();
    expect(pythonStr("relationship", undefined)).toBeUndefined();
    expect(() => pythonStr("int", 1.5)).toThrow(TypeError);
  });
});

describe("indexDigest", () => {
  it("is the first 16 hex digits of the sha256 of the texts joined by ':' in UTF-8", () => {
    expect(indexDigest(["978-0", "1"])).toBe(python("978-0", "1"));
    // As Python printed them: hashlib.sha256(":".join(xs).encode()).hexdigest()[:16]
    expect(indexDigest(["978-0", "1"])).toBe("4f45cc65603714a0");
    expect(indexDigest(["café 東京 🙂", "True"])).toBe("fb3a1699d1beadaa");
    expect(indexDigest(["Author:Tol/-kien", "1e+16", "2020-01-02T03:04:05.678000Z"])).toBe(
      "17ab4bf5f6c6d06e",
    );
  });
});

class DigestAuthor extends Model("DigestAuthor", { name: KeyField() }) {}
class DigestBook extends Model(
  "DigestBook",
  {
    code: KeyField(),
    author: Relationship(DigestAuthor),
    weight: SortedField({ type: "float" }),
    lang: IndexedField({ null: true }),
    year: SortedField({ type: "int" }),
  },
  {
    indexes: [{ fields: ["author", "weight"], unique: true }, ["lang", "year"]],
  },
) {}
const meta = DigestBook.meta;
const values = (changes: Record<string, unknown> = {}): Map<string, unknown> =>
  new Map(
    Object.entries({
      code: "b1",
      author: "DigestAuthor:Tol-kien",
      weight: 1e16,
      lang: null,
      year: 1937,
      ...changes,
    }),
  );

describe("$Index entries", () => {
  it("one hash entry per unique composite index with every value set, named in Popoto's spelling", () => {
    expect(compositeIndexHash(meta, ["author", "weight"])).toBe("$Index:DigestBook:author:weight");
    const hashes = indexEntries(meta, "DigestBook:b1", values()).filter((e) => e.kind === "h");
    expect(hashes).toEqual([
      {
        kind: "h",
        key: "$Index:DigestBook:author:weight",
        member: hashMember(python("DigestAuthor:Tol-kien", "1e+16"), "DigestBook:b1"),
      },
    ]);
    // A null in the combination: no entry (Popoto's NULL rule); the plain index never has one.
    expect(
      indexEntries(meta, "DigestBook:b1", values({ author: null })).filter((e) => e.kind === "h"),
    ).toEqual([]);
  });

  it("a change of a value swaps the entry; a key change re-points it", () => {
    const before = indexEntries(meta, "DigestBook:b1", values());
    const moved = diffEntries(before, indexEntries(meta, "DigestBook:b1", values({ weight: 2 })));
    expect(moved.remove.filter((e) => e.kind === "h").map((e) => e.member)).toEqual([
      hashMember(python("DigestAuthor:Tol-kien", "1e+16"), "DigestBook:b1"),
    ]);
    expect(moved.add.filter((e) => e.kind === "h").map((e) => e.member)).toEqual([
      hashMember(python("DigestAuthor:Tol-kien", "2.0"), "DigestBook:b1"),
    ]);
    const renamed = diffEntries(before, indexEntries(meta, "DigestBook:b2", values({ code: "b2" })));
    expect(renamed.add.filter((e) => e.kind === "h").map((e) => e.member)).toEqual([
      hashMember(python("DigestAuthor:Tol-kien", "1e+16"), "DigestBook:b2"),
    ]);
  });

  it("write.lua gets the field (value: the key) and a check that the field names no other live instance", () => {
    const { intent } = saveIntent(meta, values(), undefined, undefined);
    const call = planWrites([intent]);
    const hash = call.keys.indexOf("$Index:DigestBook:author:weight") + 1;
    const digest = python("DigestAuthor:Tol-kien", "1e+16");
    const args = call.args.map(String).join(" ");
    expect(args).toContain(`H ${hash} ${digest}`);
    // The trailing sections: no change feed (0), then one check of write 1, labelled as its 2nd unique.
    expect(call.args.slice(-6)).toEqual([0, 1, 1, hash, digest, 2]);
    expect(call.uniqueFields).toEqual([["author+weight", "author+weight"]]);
  });

  it("a field of a composite index is never incremented by commute.lua (its entries move with it)", () => {
    expect(commutingIncrement(meta, "weight")).toBe(false);
    expect(commutingIncrement(meta, "year")).toBe(false);
  });
});
