import { describe, expect, it } from "vitest";
import { decimalFromNumber, pythonDecimalStr, toPlainDecimal } from "../../src/encoding/decimal.js";

describe("toPlainDecimal", () => {
  it("keeps plain text, dropping redundant leading zeros", () => {
    expect(toPlainDecimal("1.10")).toBe("1.10");
    expect(toPlainDecimal("-0")).toBe("-0");
    expect(toPlainDecimal("007.50")).toBe("7.50");
    expect(toPlainDecimal("0.05")).toBe("0.05");
  });

  it("expands Python's exponent forms", () => {
    expect(toPlainDecimal("1E+3")).toBe("1000");
    expect(toPlainDecimal("1.5E-7")).toBe("0.00000015");
    expect(toPlainDecimal("0E-8")).toBe("0.00000000");
    expect(toPlainDecimal("-1.23E+1")).toBe("-12.3");
  });

  it("rejects NaN, Infinity and non-numbers", () => {
    for (const text of ["NaN", "Infinity", "-Infinity", "sNaN", "", ".", "1.2.3", "1e", "abc"]) {
      expect(toPlainDecimal(text)).toBeNull();
    }
  });
});

describe("decimalFromNumber", () => {
  it("writes the shortest digits without an exponent", () => {
    expect(decimalFromNumber(1.1)).toBe("1.1");
    expect(decimalFromNumber(-3)).toBe("-3");
    expect(decimalFromNumber(1e21)).toBe("1000000000000000000000");
    expect(decimalFromNumber(1e-7)).toBe("0.0000001");
  });
});

describe("pythonDecimalStr", () => {
  it("matches Python's str(Decimal(text))", () => {
    expect(pythonDecimalStr("1.10")).toBe("1.10");
    expect(pythonDecimalStr("100")).toBe("100");
    expect(pythonDecimalStr("0.000001")).toBe("0.000001");
    expect(pythonDecimalStr("0.00000123")).toBe("0.00000123");
    expect(pythonDecimalStr("0.0000001")).toBe("1E-7");
    expect(pythonDecimalStr("-0.000000123")).toBe("-1.23E-7");
    expect(pythonDecimalStr("0.00000000")).toBe("0E-8");
  });
});
