import { describe, expect, it } from "vitest";
import { coerceValue } from "../../src/encoding/coerce.js";
import type { FieldType } from "../../src/fields/field-type.js";

const accepts = (type: FieldType, value: unknown): unknown => {
  const result = coerceValue(type, value);
  if (!result.ok) throw new Error(`${type} rejected ${String(value)}: expected ${result.expected}`);
  return result.value;
};
const rejects = (type: FieldType, value: unknown): string => {
  const result = coerceValue(type, value);
  if (result.ok) throw new Error(`${type} accepted ${String(value)}`);
  return result.expected;
};

describe("coerceValue", () => {
  it("string: strings only", () => {
    expect(accepts("string", "")).toBe("");
    expect(rejects("string", 1)).toBe("string");
  });

  it("int: safe integers, and bigints in the safe range", () => {
    expect(accepts("int", -5)).toBe(-5);
    expect(accepts("int", 2 ** 53 - 1)).toBe(2 ** 53 - 1);
    expect(accepts("int", 12n)).toBe(12);
    expect(rejects("int", 2 ** 53)).toBe("int (a safe integer)");
    expect(rejects("int", 2n ** 53n)).toBe("int (a safe integer)");
    expect(rejects("int", 1.5)).toBe("int (a safe integer)");
    expect(rejects("int", Number.NaN)).toBe("int (a safe integer)");
    expect(rejects("int", "5")).toBe("int (a safe integer)");
  });

  it("float: finite numbers", () => {
    expect(accepts("float", 1)).toBe(1);
    expect(accepts("float", -0.5)).toBe(-0.5);
    expect(rejects("float", Number.NaN)).toBe("float (a finite number)");
    expect(rejects("float", Number.POSITIVE_INFINITY)).toBe("float (a finite number)");
    expect(rejects("float", Number.NEGATIVE_INFINITY)).toBe("float (a finite number)");
    expect(rejects("float", "1.5")).toBe("float (a finite number)");
  });

  it("boolean: booleans only", () => {
    expect(accepts("boolean", false)).toBe(false);
    expect(rejects("boolean", 0)).toBe("boolean");
  });

  it("bytes: Uint8Array or Buffer, returned as given", () => {
    const buffer = Buffer.from([1, 2]);
    expect(accepts("bytes", buffer)).toBe(buffer);
    const bytes = new Uint8Array([3]);
    expect(accepts("bytes", bytes)).toBe(bytes);
    expect(rejects("bytes", [1, 2])).toBe("bytes (a Uint8Array or Buffer)");
  });

  it("list and tuple: arrays", () => {
    const list = [1, "a"];
    expect(accepts("list", list)).toBe(list);
    expect(accepts("tuple", list)).toBe(list);
    expect(rejects("list", new Set())).toBe("list (an array, nested at most 64 levels)");
    expect(rejects("tuple", "ab")).toBe("tuple (an array, nested at most 64 levels)");
  });

  it("dict: plain objects only", () => {
    const dict = { a: 1 };
    expect(accepts("dict", dict)).toBe(dict);
    expect(accepts("dict", Object.create(null))).toEqual({});
    for (const value of [
      [1],
      new Date(0),
      new Map(),
      new (class Point {
        x = 1;
      })(),
    ]) {
      expect(rejects("dict", value)).toBe("dict (a plain object, nested at most 64 levels)");
    }
  });

  it("set: a Set, or an array made into one", () => {
    const set = new Set([1]);
    expect(accepts("set", set)).toBe(set);
    expect(accepts("set", [1, 1, 2])).toEqual(new Set([1, 2]));
    expect(rejects("set", { a: 1 })).toBe("set (a Set or an array, nested at most 64 levels)");
  });

  it("decimal: plain decimal text or a finite number", () => {
    expect(accepts("decimal", "1.10")).toBe("1.10");
    expect(accepts("decimal", "-5")).toBe("-5");
    expect(accepts("decimal", "007.50")).toBe("7.50");
    expect(accepts("decimal", 1.1)).toBe("1.1");
    expect(accepts("decimal", 1e21)).toBe("1000000000000000000000");
    expect(accepts("decimal", 1.5e-7)).toBe("0.00000015");
    for (const value of [
      "1e3",
      "1.",
      ".5",
      "+1",
      "NaN",
      "",
      " 1",
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1n,
    ]) {
      expect(rejects("decimal", value)).toBe('decimal (a string like "1.10", or a finite number)');
    }
  });

  it("date: a Date at UTC midnight or YYYY-MM-DD", () => {
    const midnight = new Date("2020-01-02T00:00:00Z");
    expect(accepts("date", midnight)).toBe(midnight);
    expect(accepts("date", "2020-01-02")).toEqual(midnight);
    expect(accepts("date", "0001-01-01")).toEqual(new Date("0001-01-01T00:00:00Z"));
    const expected = 'date (a Date at 00:00 UTC, or "YYYY-MM-DD")';
    for (const value of [
      new Date("2020-01-02T00:00:00.001Z"),
      new Date(Number.NaN),
      new Date("+010000-01-01T00:00:00Z"),
      "2020-13-01",
      "2021-02-29",
      "2020-1-2",
      "2020-01-02T00:00:00Z",
      20200102,
    ]) {
      expect(rejects("date", value)).toBe(expected);
    }
  });

  it("datetime: a valid Date, or ISO 8601 with Z or an offset", () => {
    const date = new Date("2020-01-02T03:04:05.678Z");
    expect(accepts("datetime", date)).toBe(date);
    expect(accepts("datetime", "2020-01-02T03:04:05.678Z")).toEqual(date);
    expect(accepts("datetime", "2020-01-02T05:04:05.678901+02:00")).toEqual(date);
    expect(accepts("datetime", "2020-01-02 03:04:05.678+00:00")).toEqual(date);
    const expected = "datetime (a Date, or an ISO 8601 string with Z or an offset)";
    for (const value of [
      new Date(Number.NaN),
      new Date("-000001-01-01T00:00:00Z"),
      "2020-01-02T03:04:05",
      "2020-01-02",
      "2020-02-30T00:00:00Z",
      "2020-01-02T24:00:00Z",
      "20200102T03:04:05.678000",
      1577934245678,
    ]) {
      expect(rejects("datetime", value)).toBe(expected);
    }
  });

  it("time: HH:MM, HH:MM:SS or HH:MM:SS.f to the canonical HH:MM:SS.ffffff", () => {
    expect(accepts("time", "01:02")).toBe("01:02:00.000000");
    expect(accepts("time", "01:02:03")).toBe("01:02:03.000000");
    expect(accepts("time", "01:02:03.4")).toBe("01:02:03.400000");
    expect(accepts("time", "23:59:59.999999")).toBe("23:59:59.999999");
    const expected = 'time ("HH:MM", "HH:MM:SS" or "HH:MM:SS.ffffff")';
    for (const value of ["24:00", "12:60", "12:00:60", "1:02", "01:02:03.1234567", "01:02:03+00:00", 3600]) {
      expect(rejects("time", value)).toBe(expected);
    }
  });
});
