/**
 * Date, datetime and time text formats shared by key parts, msgpack values and input coercion.
 *
 * Python's `datetime` types cover years 1 to 9999 and microsecond precision; a JS `Date` covers a
 * wider range at millisecond precision. popoto keeps to Python's range so every value it writes
 * can be read by Popoto. The microseconds past the millisecond of a value read from Redis (or
 * parsed from a 6-digit ISO string) are remembered beside the Date (`withMicros`), so writing it
 * back, scoring it or using it as a key part loses nothing; changing the Date forgets them.
 */

const MS_PER_DAY = 86_400_000;

/** Python's `datetime.MINYEAR` and `datetime.MAXYEAR`. */
const MIN_YEAR = 1;
const MAX_YEAR = 9999;

const pad = (n: number, width: number): string => String(n).padStart(width, "0");

/**
 * A Date for the given UTC wall clock, or null when a component is out of range (month 13,
 * February 30, hour 24…) or the year is outside Python's 1–9999. `Date.UTC` maps years 0–99 to
 * 1900–1999, so the year is set separately.
 */
export const utcDate = (
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): Date | null => {
  if (year < MIN_YEAR || year > MAX_YEAR) return null;
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, ms));
  date.setUTCFullYear(year, month - 1, day);
  // A day past the month's end (2021-02-29) rolls over into the next month: reject it.
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : null;
};

/** True for a valid Date inside Python's year range 1–9999. */
export const isPythonRangeDate = (value: Date): boolean => {
  const time = value.getTime();
  if (Number.isNaN(time)) return false;
  const year = value.getUTCFullYear();
  return year >= MIN_YEAR && year <= MAX_YEAR;
};

/** True for a Date at exactly 00:00:00.000 UTC: how popoto represents a Python `date`. */
export const isUtcMidnight = (value: Date): boolean => {
  const time = value.getTime();
  return !Number.isNaN(time) && ((time % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY === 0;
};

/** Python `str(date)`: `YYYY-MM-DD`, the year zero-padded to four digits. */
export const formatIsoDate = (value: Date): string =>
  `${pad(value.getUTCFullYear(), 4)}-${pad(value.getUTCMonth() + 1, 2)}-${pad(value.getUTCDate(), 2)}`;

/** Popoto's `date.strftime("%Y%m%d")`, the `__date__` tag's text. */
export const formatCompactDate = (value: Date): string =>
  `${pad(value.getUTCFullYear(), 4)}${pad(value.getUTCMonth() + 1, 2)}${pad(value.getUTCDate(), 2)}`;

/*
 * Microseconds past the millisecond (0-999) of Dates read with them, keyed by the Date object and
 * valid only while it still holds the instant it was read with (a changed Date has new contents).
 */
const SUB_MS = new WeakMap<Date, { readonly time: number; readonly micros: number }>();

/** Remembers `micros` (0-999) microseconds past the Date's millisecond; returns the Date. */
export const withMicros = (value: Date, micros: number): Date => {
  if (micros > 0) SUB_MS.set(value, { time: value.getTime(), micros });
  return value;
};

/** Microseconds past the millisecond remembered for this Date (0 when none, or when it changed). */
export const subMillisecondMicros = (value: Date): number => {
  const entry = SUB_MS.get(value);
  return entry !== undefined && entry.time === value.getTime() ? entry.micros : 0;
};

/** `HH:MM:SS.ffffff` of a Date in UTC, with the microseconds remembered for it (else `…000`). */
const formatClock = (value: Date): string =>
  `${pad(value.getUTCHours(), 2)}:${pad(value.getUTCMinutes(), 2)}:${pad(value.getUTCSeconds(), 2)}.` +
  `${pad(value.getUTCMilliseconds(), 3)}${pad(subMillisecondMicros(value), 3)}`;

/**
 * Popoto's legacy `strftime("%Y%m%dT%H:%M:%S.%f")` of the UTC wall clock, the `__datetime__` tag's
 * text in the storage spec. Popoto 1.x reads it as UTC; its reader requires exactly eight date
 * digits, hence the zero-padded year.
 */
export const formatLegacyDatetime = (value: Date): string =>
  `${formatCompactDate(value)}T${formatClock(value)}`;

/** The datetime key part: UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`, Popoto 1.x's `canonical_key_str`. */
export const formatDatetimeKey = (value: Date): string => `${formatIsoDate(value)}T${formatClock(value)}Z`;

/** Milliseconds from a fraction of 1–6 digits (the rest is `fractionMicros`). */
const fractionToMs = (fraction: string | undefined): number =>
  fraction === undefined ? 0 : Math.floor(Number(fraction.padEnd(6, "0")) / 1000);

/** Microseconds past the millisecond in a fraction of 1–6 digits. */
const fractionMicros = (fraction: string | undefined): number =>
  fraction === undefined ? 0 : Number(fraction.padEnd(6, "0")) % 1000;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` → Date at UTC midnight, or null. */
export const parseIsoDate = (text: string): Date | null => {
  const m = ISO_DATE.exec(text);
  return m ? utcDate(Number(m[1]), Number(m[2]), Number(m[3])) : null;
};

const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;

/** `YYYYMMDD` (the `__date__` tag) → Date at UTC midnight, or null. */
export const parseCompactDate = (text: string): Date | null => {
  const m = COMPACT_DATE.exec(text);
  return m ? utcDate(Number(m[1]), Number(m[2]), Number(m[3])) : null;
};

/**
 * ISO 8601 as Python's `isoformat()` / `str()` write it: `T` or a space between date and time,
 * seconds and a 1–6 digit fraction optional (isoformat drops `.000000`), then `Z`, an offset
 * `±HH:MM[:SS]`, or nothing.
 */
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2}(?::\d{2})?)?$/;

/** Popoto's pre-1.9 `%Y%m%dT%H:%M:%S.%f` (no offset; Popoto reads it as UTC). */
const LEGACY_DATETIME = /^(\d{4})(\d{2})(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{1,6})$/;

const offsetMs = (offset: string): number | null => {
  if (offset === "Z") return 0;
  const sign = offset.startsWith("-") ? -1 : 1;
  const [h = 0, m = 0, s = 0] = offset.slice(1).split(":").map(Number);
  if (h > 23 || m > 59 || s > 59) return null;
  return sign * ((h * 60 + m) * 60 + s) * 1000;
};

/**
 * Parses a datetime string into an instant. Without an offset the wall clock is UTC, as Popoto
 * 1.x assumes for its legacy strings and naive values. With `requireOffset`, a string without one
 * is rejected (user input, where a naive string would be ambiguous). Returns null when invalid or
 * outside Python's year range.
 */
export const parseDatetimeText = (text: string, requireOffset = false): Date | null => {
  const legacy = LEGACY_DATETIME.exec(text);
  if (legacy) {
    if (requireOffset) return null;
    const [, y, mo, d, h, mi, s, f] = legacy;
    const date = utcDate(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), fractionToMs(f));
    return date && withMicros(date, fractionMicros(f));
  }
  const m = ISO_DATETIME.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, f, offset] = m;
  if (offset === undefined && requireOffset) return null;
  const wall = utcDate(
    Number(y),
    Number(mo),
    Number(d),
    Number(h),
    Number(mi),
    Number(s ?? 0),
    fractionToMs(f),
  );
  if (wall === null) return null;
  if (offset === undefined) return withMicros(wall, fractionMicros(f));
  const shift = offsetMs(offset);
  if (shift === null) return null;
  const instant = new Date(wall.getTime() - shift);
  return isPythonRangeDate(instant) ? withMicros(instant, fractionMicros(f)) : null;
};

const TIME_TEXT = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;

/**
 * `HH:MM`, `HH:MM:SS` or `HH:MM:SS.f` (1–6 digits) → the canonical `HH:MM:SS.ffffff`, or null.
 * Python's `time` has no leap second, so seconds stop at 59.
 */
export const parseTimeText = (text: string): string | null => {
  const m = TIME_TEXT.exec(text);
  if (!m) return null;
  const [, h = "", mi = "", s = "00", f = ""] = m;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  return `${h}:${mi}:${s}.${f.padEnd(6, "0")}`;
};

/** Components of a canonical `HH:MM:SS.ffffff` time. */
export const timeComponents = (
  canonical: string,
): { hour: number; minute: number; second: number; microsecond: number } => ({
  hour: Number(canonical.slice(0, 2)),
  minute: Number(canonical.slice(3, 5)),
  second: Number(canonical.slice(6, 8)),
  microsecond: Number(canonical.slice(9, 15)),
});
