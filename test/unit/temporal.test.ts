import { describe, expect, it } from "vitest";
import {
  formatCompactDate,
  formatDatetimeKey,
  formatLegacyDatetime,
  parseDatetimeText,
  parseTimeText,
  utcDate,
} from "../../src/encoding/temporal.js";

describe("temporal helpers", () => {
  it("utcDate keeps years below 100 and rejects impossible days", () => {
    expect(utcDate(42, 1, 2)?.toISOString()).toBe("0042-01-02T00:00:00.000Z");
    expect(utcDate(2020, 2, 29)).not.toBeNull();
    expect(utcDate(2021, 2, 29)).toBeNull();
    expect(utcDate(0, 1, 1)).toBeNull();
    expect(utcDate(10000, 1, 1)).toBeNull();
  });

  it("formats Popoto's datetime and date texts with four-digit years", () => {
    const date = new Date("0999-01-02T03:04:05.006Z");
    expect(formatLegacyDatetime(date)).toBe("09990102T03:04:05.006000");
    expect(formatDatetimeKey(date)).toBe("0999-01-02T03:04:05.006000Z");
    expect(formatCompactDate(date)).toBe("09990102");
  });

  it("parses datetimes, truncating microseconds to milliseconds", () => {
    expect(parseDatetimeText("20200102T03:04:05.6789")?.toISOString()).toBe("2020-01-02T03:04:05.678Z");
    expect(parseDatetimeText("2020-01-02T03:04Z")?.toISOString()).toBe("2020-01-02T03:04:00.000Z");
    expect(parseDatetimeText("2020-01-01T23:00:00-01:30")?.toISOString()).toBe("2020-01-02T00:30:00.000Z");
    expect(parseDatetimeText("2020-01-02T03:04:05", true)).toBeNull();
    expect(parseDatetimeText("0001-01-01T00:30:00+01:00")).toBeNull();
  });

  it("parses times into HH:MM:SS.ffffff", () => {
    expect(parseTimeText("00:00")).toBe("00:00:00.000000");
    expect(parseTimeText("12:34:56.78")).toBe("12:34:56.780000");
    expect(parseTimeText("12:34:5")).toBeNull();
  });
});
