import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromKeyPart, pythonFloatRepr, toKeyPart } from "../../src/keys/parts.js";

const utc = (iso: string): Date => new Date(iso);

describe("toKeyPart", () => {
  it("renders ints as decimal digits", () => {
    expect(toKeyPart("int", 1)).toBe("1");
    expect(toKeyPart("int", -3)).toBe("-3");
    expect(toKeyPart("int", 0)).toBe("0");
  });

  it("renders floats as Python repr", () => {
    const cases: [number, string][] = [
      [1, "1.0"],
      [-3, "-3.0"],
      [0.1, "0.1"],
      [1.5, "1.5"],
      [1e16, "1e+16"],
      [1.5e16, "1.5e+16"],
      [1e15, "1000000000000000.0"],
      [123456789012345.6, "123456789012345.6"],
      [1e-5, "1e-05"],
      [0.0001, "0.0001"],
      [-2.5e-7, "-2.5e-07"],
      [0, "0.0"],
      [-0, "-0.0"],
      [1e22, "1e+22"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [5e-324, "5e-324"],
    ];
    for (const [value, part] of cases) expect(toKeyPart("float", value)).toBe(part);
  });

  it("renders booleans, null and strings as Python str does", () => {
    expect(toKeyPart("boolean", true)).toBe("True");
    expect(toKeyPart("boolean", false)).toBe("False");
    expect(toKeyPart("string", null)).toBe("None");
    expect(toKeyPart("int", undefined)).toBe("None");
    expect(toKeyPart("string", "a:b")).toBe("a:b");
  });

  it("renders decimals as their text, tiny ones as Python's str(Decimal)", () => {
    expect(toKeyPart("decimal", "1.10")).toBe("1.10");
    expect(toKeyPart("decimal", "-5")).toBe("-5");
    expect(toKeyPart("decimal", "0.000001")).toBe("0.000001");
    expect(toKeyPart("decimal", "0.0000001")).toBe("1E-7");
    expect(toKeyPart("decimal", "0.00000000")).toBe("0E-8");
  });

  it("renders dates, datetimes and times", () => {
    expect(toKeyPart("date", utc("2020-01-02T00:00:00Z"))).toBe("2020-01-02");
    expect(toKeyPart("date", new Date("0999-03-04T00:00:00Z"))).toBe("0999-03-04");
    expect(toKeyPart("datetime", utc("2020-01-02T03:04:05.678Z"))).toBe("2020-01-02T03:04:05.678000Z");
    expect(toKeyPart("datetime", utc("0042-01-02T03:04:05Z"))).toBe("0042-01-02T03:04:05.000000Z");
    expect(toKeyPart("time", "01:02:03.000004")).toBe("01:02:03.000004");
    expect(toKeyPart("time", "01:02:03.000000")).toBe("01:02:03");
  });

  it("throws for a value that is not the type's canonical form", () => {
    expect(() => toKeyPart("int", 1.5)).toThrow(TypeError);
    expect(() => toKeyPart("float", Number.NaN)).toThrow(TypeError);
    expect(() => toKeyPart("string", 5)).toThrow(TypeError);
    expect(() => toKeyPart("time", "1:2")).toThrow(TypeError);
    expect(() => toKeyPart("date", new Date(Number.NaN))).toThrow(TypeError);
  });
});

describe("pythonFloatRepr", () => {
  it("refuses inf and nan", () => {
    expect(() => pythonFloatRepr(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => pythonFloatRepr(Number.NaN)).toThrow(RangeError);
  });
});

describe("fromKeyPart", () => {
  it("parses each type", () => {
    expect(fromKeyPart("int", "-12")).toBe(-12);
    expect(fromKeyPart("float", "1.0")).toBe(1);
    expect(fromKeyPart("float", "1e-05")).toBe(1e-5);
    expect(fromKeyPart("float", "-0.0")).toBe(-0);
    expect(fromKeyPart("boolean", "True")).toBe(true);
    expect(fromKeyPart("boolean", "False")).toBe(false);
    expect(fromKeyPart("decimal", "1.10")).toBe("1.10");
    expect(fromKeyPart("decimal", "1E-7")).toBe("0.0000001");
    expect(fromKeyPart("date", "2020-01-02")).toEqual(utc("2020-01-02T00:00:00Z"));
    expect(fromKeyPart("time", "01:02:03")).toBe("01:02:03.000000");
    expect(fromKeyPart("time", "01:02:03.5")).toBe("01:02:03.500000");
  });

  it("reads None as null for every type, the string 'None' included (Popoto's collision)", () => {
    expect(fromKeyPart("string", "None")).toBeNull();
    expect(fromKeyPart("int", "None")).toBeNull();
  });

  it("accepts the datetime forms Popoto has written", () => {
    const instant = utc("2020-01-02T03:04:05.678Z");
    expect(fromKeyPart("datetime", "2020-01-02T03:04:05.678000Z")).toEqual(instant);
    expect(fromKeyPart("datetime", "2020-01-02T03:04:05.678901Z")).toEqual(instant);
    expect(fromKeyPart("datetime", "2020-01-02T03:04:05.678")).toEqual(instant);
    expect(fromKeyPart("datetime", "2020-01-02 03:04:05.678000+00:00")).toEqual(instant);
    expect(fromKeyPart("datetime", "2020-01-02 03:04:05")).toEqual(utc("2020-01-02T03:04:05Z"));
    expect(fromKeyPart("datetime", "2020-01-02T05:04:05.678+02:00")).toEqual(instant);
  });

  it("throws for parts that are not values of the type", () => {
    expect(() => fromKeyPart("int", "1.5")).toThrow(Error);
    expect(() => fromKeyPart("int", "9007199254740993")).toThrow(Error);
    expect(() => fromKeyPart("float", "inf")).toThrow(Error);
    expect(() => fromKeyPart("float", "nan")).toThrow(Error);
    expect(() => fromKeyPart("boolean", "true")).toThrow(Error);
    expect(() => fromKeyPart("decimal", "NaN")).toThrow(Error);
    expect(() => fromKeyPart("date", "2020-13-01")).toThrow(Error);
    expect(() => fromKeyPart("date", "2021-02-29")).toThrow(Error);
    expect(() => fromKeyPart("datetime", "2020-01-02")).toThrow(Error);
    expect(() => fromKeyPart("time", "24:00:00")).toThrow(Error);
  });
});

const pythonRangeDate = fc.date({
  min: new Date("0001-01-01T00:00:00.000Z"),
  max: new Date("9999-12-31T23:59:59.999Z"),
  noInvalidDate: true,
});
const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));
const canonicalTime = fc
  .tuple(two(23), two(59), two(59), fc.integer({ min: 0, max: 999_999 }))
  .map(([h, m, s, us]) => `${h}:${m}:${s}.${String(us).padStart(6, "0")}`);
const canonicalDecimal = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.option(fc.stringMatching(/^\d{1,12}$/)))
  .map(
    ([negative, whole, fraction]) =>
      `${negative ? "-" : ""}${whole}${fraction === null ? "" : `.${fraction}`}`,
  );

describe("round trips", () => {
  it("fromKeyPart(toKeyPart(v)) gives v back", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => s !== "None"),
        (v) => {
          expect(fromKeyPart("string", toKeyPart("string", v))).toBe(v);
        },
      ),
    );
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => {
        expect(fromKeyPart("int", toKeyPart("int", v))).toBe(v);
      }),
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        expect(fromKeyPart("float", toKeyPart("float", v))).toBe(v);
      }),
    );
    fc.assert(
      fc.property(canonicalDecimal, (v) => {
        expect(fromKeyPart("decimal", toKeyPart("decimal", v))).toBe(v);
      }),
    );
    fc.assert(
      fc.property(pythonRangeDate, (d) => {
        const date = new Date(Math.floor(d.getTime() / 86_400_000) * 86_400_000);
        expect(fromKeyPart("date", toKeyPart("date", date))).toEqual(date);
        expect(fromKeyPart("datetime", toKeyPart("datetime", d))).toEqual(d);
      }),
    );
    fc.assert(
      fc.property(canonicalTime, (v) => {
        expect(fromKeyPart("time", toKeyPart("time", v))).toBe(v);
      }),
    );
  });
});
