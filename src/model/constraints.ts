/**
 * The value checks of fields (`min`, `max`, `pattern`, `choices`, `validate`), run on the values
 * of a save once they passed their type checks, before anything is written. Lookups (load by key
 * values, filters, key strings) never apply them: an instance stored before a check was declared,
 * or written by another client, can still be found, loaded and deleted.
 */
import { coerceValue } from "../encoding/coerce.js";
import { compareDecimals } from "../encoding/decimal.js";
import { formatValue, type ValidationIssue } from "../errors.js";
import type { FieldSpec, ValueChecks } from "../fields/field.js";
import type { FieldType } from "../fields/field-type.js";

/** A field's checks with their bounds and choices converted to the field's type once. */
interface Checks {
  readonly min: unknown;
  readonly max: unknown;
  readonly pattern: RegExp | undefined;
  /** The pattern as declared, for messages. */
  readonly patternText: string;
  readonly choices: readonly unknown[] | undefined;
  readonly validate: ((value: unknown) => unknown) | undefined;
}

const compiled = new WeakMap<FieldSpec, Checks | null>();

/** The field's canonical form of a declared bound or choice (Model() checked that it converts). */
const canonical = (type: FieldType, value: unknown): unknown => {
  const result = coerceValue(type, value);
  return result.ok ? result.value : value;
};

/** Orders two canonical values of one type: numbers, decimal text, Dates, time text, strings. */
export function compareValues(type: FieldType, a: unknown, b: unknown): number {
  if (type === "decimal") return compareDecimals(a as string, b as string);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === "number" && typeof b === "number") return a - b;
  // Canonical time text ("HH:MM:SS.ffffff") and strings order as text.
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function checksOf(spec: FieldSpec): Checks | null {
  let checks = compiled.get(spec);
  if (checks !== undefined) return checks;
  const options = spec.options as ValueChecks<FieldType>;
  const { min, max, pattern, choices, validate } = options;
  checks =
    min === undefined &&
    max === undefined &&
    pattern === undefined &&
    choices === undefined &&
    validate === undefined
      ? null
      : {
          min: min === undefined ? undefined : canonical(spec.type, min),
          max: max === undefined ? undefined : canonical(spec.type, max),
          // A global or sticky RegExp remembers where it last matched; a copy without those flags
          // gives every value the same test.
          pattern:
            pattern === undefined
              ? undefined
              : new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "")),
          patternText: String(pattern),
          choices: choices?.map((choice) => canonical(spec.type, choice)),
          validate: validate as ((value: unknown) => unknown) | undefined,
        };
  compiled.set(spec, checks);
  return checks;
}

/**
 * Checks one field's converted, non-null value and adds an issue per failed check. The built-in
 * checks are reported together; `validate` runs only when they passed (so it sees values in
 * range), and its message becomes the issue.
 */
export function checkValue(spec: FieldSpec, field: string, value: unknown, issues: ValidationIssue[]): void {
  if (value === null || value === undefined) return;
  const checks = checksOf(spec);
  if (checks === null) return;
  const before = issues.length;
  const add = (expected: string, message: string): void => {
    issues.push({ field, value, expected, received: formatValue(value), message });
  };
  const shown = formatValue(value);
  if (checks.choices !== undefined && !checks.choices.some((c) => compareValues(spec.type, c, value) === 0)) {
    const list = checks.choices.map(formatValue).join(", ");
    add(`one of ${list}`, `is ${shown}, not one of the choices ${list}`);
  }
  if (checks.min !== undefined && compareValues(spec.type, value, checks.min) < 0)
    add(`at least ${formatValue(checks.min)}`, `is ${shown}, below the minimum ${formatValue(checks.min)}`);
  if (checks.max !== undefined && compareValues(spec.type, value, checks.max) > 0)
    add(`at most ${formatValue(checks.max)}`, `is ${shown}, above the maximum ${formatValue(checks.max)}`);
  if (checks.pattern !== undefined && typeof value === "string" && !checks.pattern.test(value))
    add(`a string matching ${checks.patternText}`, `is ${shown}, which does not match ${checks.patternText}`);
  if (checks.validate === undefined || issues.length > before) return;
  const message = checks.validate(value);
  if (message === undefined || message === null) return;
  if (typeof message === "string") add("a value its validate() accepts", message);
  else
    add(
      "a value its validate() accepts",
      `validate() returned ${formatValue(message)}; it must return a message (string) for an invalid value, or undefined`,
    );
}
