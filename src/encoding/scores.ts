/**
 * Sorted-set scores (storage spec §5), as Popoto's `SortedFieldMixin.convert_to_numeric` computes
 * them, so a ZSET written by Python and one written by popoto order and match the same way.
 */
import type { SortedType } from "../fields/field-type.js";
import { subMillisecondMicros, timeComponents } from "./temporal.js";

const MS_PER_DAY = 86_400_000;

/** Python `date(1970, 1, 1).toordinal()`: the proleptic Gregorian ordinal, 0001-01-01 being 1. */
const EPOCH_ORDINAL = 719_163;

const wrongValue = (type: SortedType, value: unknown): TypeError =>
  new TypeError(`cannot score ${value instanceof Date ? "Date" : typeof value} as a ${type} field`);

/** The score of a canonical value of a sorted field type. */
export const toScore = (type: SortedType, value: unknown): number => {
  switch (type) {
    case "int":
    case "float":
      if (typeof value === "number") return value;
      break;
    case "decimal":
      // Python float(Decimal) and JS Number(text) both round the exact value to nearest.
      if (typeof value === "string") return Number(value);
      break;
    case "date":
      // Python date.toordinal(); the Date is at UTC midnight, floor keeps days before 1970 right.
      if (value instanceof Date) return Math.floor(value.getTime() / MS_PER_DAY) + EPOCH_ORDINAL;
      break;
    case "datetime":
      // Popoto 1.x: datetime.timestamp() of an aware (or UTC-assumed) value, which is total
      // microseconds / 10**6, one correctly rounded division; exact operands give the same double.
      if (value instanceof Date) return (value.getTime() * 1000 + subMillisecondMicros(value)) / 1_000_000;
      break;
    case "time": {
      // Popoto 0.8.3 calls time.timestamp(), which does not exist, and crashes; popoto uses
      // seconds since midnight, divided once from whole microseconds as timedelta.total_seconds().
      if (typeof value !== "string") break;
      const { hour, minute, second, microsecond } = timeComponents(value);
      return (((hour * 60 + minute) * 60 + second) * 1_000_000 + microsecond) / 1_000_000;
    }
  }
  throw wrongValue(type, value);
};
