/**
 * Decimal values as text. popoto holds a Python `Decimal` as its exact plain text ("1.10": the
 * trailing zero is significant to Decimal, so the text is kept, not a number).
 */

/** The canonical decimal text popoto holds: plain digits, no exponent. */
export const PLAIN_DECIMAL = /^-?\d+(\.\d+)?$/;

/** What Python's `str(Decimal)` can produce besides plain text: an `E` exponent. */
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Any finite decimal text (plain, or with an exponent as Python writes `1E+3` or `1.5E-7`) → the
 * canonical plain text, keeping the value's exponent (so "1.10" stays "1.10") and dropping
 * redundant leading zeros ("007.5" → "7.5", as `str(Decimal("007.5"))` does). Returns null for
 * anything else, including Python's `NaN` and `Infinity`, which popoto does not hold.
 */
export const toPlainDecimal = (text: string): string | null => {
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return null;
  const [, sign = "", whole = "", fraction = "", exponentText = "0"] = m;
  if (whole === "" && fraction === "") return null;
  const exponent = Number(exponentText) - fraction.length;
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 10_000) return null;
  const digits = (whole + fraction).replace(/^0+(?=\d)/, "");
  const prefix = sign === "-" ? "-" : "";
  if (exponent >= 0) return prefix + (digits === "0" ? "0" : digits + "0".repeat(exponent));
  const places = -exponent;
  const padded = digits.padStart(places + 1, "0");
  return `${prefix}${padded.slice(0, -places)}.${padded.slice(-places)}`;
};

/**
 * A finite number → plain decimal text of its shortest round-trip digits (what `String(n)` shows,
 * without the exponent JS uses past 1e21 or below 1e-6): 1.1 → "1.1", 1e21 → "1000…0".
 */
export const decimalFromNumber = (value: number): string => {
  // String(-0) is "0"; a negative zero has no use as a decimal value.
  const plain = toPlainDecimal(String(value));
  if (plain === null) throw new RangeError(`not a finite number: ${value}`);
  return plain;
};

/**
 * Python's `str(Decimal(text))` for canonical plain text: the same text, except that a value
 * whose first significant digit is more than six places after the point switches to scientific
 * notation, as the General Decimal Arithmetic "to-scientific-string" rule says:
 * "0.0000001" → "1E-7", "0.00000000" → "0E-8". Key parts and the `__Decimal__` tag use this so
 * Popoto writes and reads the very same text.
 */
export const pythonDecimalStr = (plain: string): string => {
  const negative = plain.startsWith("-");
  const unsigned = negative ? plain.slice(1) : plain;
  const point = unsigned.indexOf(".");
  if (point === -1) return plain;
  const exponent = -(unsigned.length - point - 1);
  const digits = (unsigned.slice(0, point) + unsigned.slice(point + 1)).replace(/^0+(?=\d)/, "");
  const leftDigits = exponent + digits.length;
  if (leftDigits > -6) return plain;
  const mantissa = digits.length > 1 ? `${digits[0] ?? ""}.${digits.slice(1)}` : digits;
  const shown = leftDigits - 1;
  return `${negative ? "-" : ""}${mantissa}E${shown >= 0 ? "+" : ""}${shown}`;
};

/**
 * Exact sum of two plain decimal texts, keeping the larger number of fraction digits
 * (Python: Decimal("1.10") + Decimal("2") == Decimal("3.10")).
 */
export const addDecimals = (a: string, b: string): string => {
  const places = Math.max(a.split(".")[1]?.length ?? 0, b.split(".")[1]?.length ?? 0);
  const scaled = (text: string): bigint => {
    const [whole = "0", fraction = ""] = text.replace("-", "").split(".");
    const magnitude = BigInt(whole + fraction.padEnd(places, "0"));
    return text.startsWith("-") ? -magnitude : magnitude;
  };
  const sum = scaled(a) + scaled(b);
  const digits = (sum < 0n ? -sum : sum).toString().padStart(places + 1, "0");
  const text = places === 0 ? digits : `${digits.slice(0, -places)}.${digits.slice(-places)}`;
  return sum < 0n ? `-${text}` : text;
};

/**
 * Orders two canonical decimal texts (PLAIN_DECIMAL) exactly, as Python compares Decimals:
 * "1.10" equals "1.1", "-0" equals "0". Negative when a < b, 0 when equal, positive when a > b.
 */
export const compareDecimals = (a: string, b: string): number => {
  const parse = (text: string): { negative: boolean; whole: string; fraction: string } => {
    const negative = text.startsWith("-");
    const [whole = "0", fraction = ""] = (negative ? text.slice(1) : text).split(".");
    return { negative, whole: whole.replace(/^0+(?=\d)/, ""), fraction: fraction.replace(/0+$/, "") };
  };
  const x = parse(a);
  const y = parse(b);
  const isZero = (d: { whole: string; fraction: string }): boolean => d.whole === "0" && d.fraction === "";
  const sign = (d: { negative: boolean; whole: string; fraction: string }): number =>
    isZero(d) ? 0 : d.negative ? -1 : 1;
  if (sign(x) !== sign(y)) return sign(x) - sign(y);
  if (sign(x) === 0) return 0;
  let magnitude = x.whole.length - y.whole.length;
  if (magnitude === 0) {
    const width = Math.max(x.fraction.length, y.fraction.length);
    const left = x.whole + x.fraction.padEnd(width, "0");
    const right = y.whole + y.fraction.padEnd(width, "0");
    magnitude = left < right ? -1 : left > right ? 1 : 0;
  }
  return sign(x) * Math.sign(magnitude);
};
