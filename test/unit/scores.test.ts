import { describe, expect, it } from "vitest";
import { toScore } from "../../src/encoding/scores.js";

describe("toScore", () => {
  it("uses ints and floats as they are", () => {
    expect(toScore("int", 1178)).toBe(1178);
    expect(toScore("float", -2.5)).toBe(-2.5);
  });

  it("reads a decimal as a float", () => {
    expect(toScore("decimal", "1.10")).toBe(1.1);
    expect(toScore("decimal", "-3")).toBe(-3);
  });

  it("gives a date its proleptic Gregorian ordinal", () => {
    expect(toScore("date", new Date("0001-01-01T00:00:00Z"))).toBe(1);
    expect(toScore("date", new Date("1970-01-01T00:00:00Z"))).toBe(719163);
    expect(toScore("date", new Date("2020-01-02T00:00:00Z"))).toBe(737426);
    expect(toScore("date", new Date("1969-12-31T00:00:00Z"))).toBe(719162);
    expect(toScore("date", new Date("9999-12-31T00:00:00Z"))).toBe(3652059);
  });

  it("gives a datetime its POSIX seconds", () => {
    expect(toScore("datetime", new Date("1970-01-01T00:00:00Z"))).toBe(0);
    expect(toScore("datetime", new Date("2020-01-02T03:04:05.678Z"))).toBe(1577934245.678);
    expect(toScore("datetime", new Date("1969-12-31T23:59:59.5Z"))).toBe(-0.5);
  });

  it("gives a time its seconds since midnight", () => {
    expect(toScore("time", "00:00:00.000000")).toBe(0);
    expect(toScore("time", "01:02:03.000004")).toBe(3723.000004);
    expect(toScore("time", "23:59:59.999999")).toBe(86399.999999);
  });

  it("throws for a value of the wrong kind", () => {
    expect(() => toScore("int", "1")).toThrow(TypeError);
    expect(() => toScore("date", "2020-01-02")).toThrow(TypeError);
  });
});
