/**
 * Definition checks of the value-check options (`min`, `max`, `pattern`, `choices`, `validate`):
 * each on a type it has a use for, each bound and choice a valid value of the field, and a
 * default that passes them. Run by `Model()` (define.ts) so a mistake fails when the model is
 * defined, not at the first save.
 */
import { coerceValue } from "../encoding/coerce.js";
import { clause, formatValue, type ValidationIssue } from "../errors.js";
import { checkTypes, type FieldSpec } from "../fields/field.js";
import { checkValue, compareValues } from "./constraints.js";

const BOUNDED = ["min", "max", "pattern", "choices"] as const;

export function checkValueOptions(spec: FieldSpec, fail: (why: string) => never): void {
  const options = spec.options;
  for (const option of BOUNDED) {
    if (options[option] === undefined || spec.accepts.includes(option)) continue;
    // The factory takes value checks, but not this one for this type (`min` on a string field).
    // Factories without value checks (AutoKeyField, Relationship, GeoField's min) get the
    // unknown-option message instead.
    if (!spec.accepts.includes("validate") || spec.kind === "geo") return;
    const types = checkTypes(option) ?? [];
    fail(
      `has ${option}, which applies to ${types.join(", ")} fields only; it holds ${spec.type} values. ` +
        `Remove ${option}${option === "pattern" ? "" : ", or use validate for your own check"}.`,
    );
  }
  const value = (option: "min" | "max", bound: unknown): unknown => {
    const result = coerceValue(spec.type, bound);
    if (!result.ok)
      fail(
        `has ${option} ${formatValue(bound)}, which is not a valid ${spec.type}: expected ${result.expected}.`,
      );
    return (result as { value: unknown }).value;
  };
  const min = options["min"] === undefined ? undefined : value("min", options["min"]);
  const max = options["max"] === undefined ? undefined : value("max", options["max"]);
  if (min !== undefined && max !== undefined && compareValues(spec.type, min, max) > 0)
    fail(`has min ${formatValue(min)} above max ${formatValue(max)}; no value could be saved. Swap them.`);
  const pattern = options["pattern"];
  if (pattern !== undefined && !(pattern instanceof RegExp))
    fail(`has pattern ${formatValue(pattern)}; give a RegExp, e.g. pattern: /^[a-z0-9-]+$/.`);
  const choices = options["choices"];
  if (choices !== undefined) {
    if (!Array.isArray(choices) || choices.length === 0)
      fail("has choices that are not a non-empty array of values; list the accepted values.");
    for (const choice of choices as unknown[]) {
      const result = coerceValue(spec.type, choice);
      if (!result.ok)
        fail(
          `has the choice ${formatValue(choice)}, which is not a valid ${spec.type}: expected ${result.expected}.`,
        );
    }
  }
  const validate = options["validate"];
  if (validate !== undefined && typeof validate !== "function")
    fail("has validate that is not a function; give (value) => a message when invalid, or undefined.");
  // A fixed default must pass the built-in checks (a function default is checked when it is saved).
  if (spec.hasDefault && spec.default !== null && typeof spec.default !== "function") {
    const converted = coerceValue(spec.type, spec.default);
    if (!converted.ok) return;
    const issues: ValidationIssue[] = [];
    checkValue({ ...spec, options: { ...options, validate: undefined } }, "default", converted.value, issues);
    if (issues.length > 0)
      fail(`has a default that fails its own checks: it ${clause((issues[0] as ValidationIssue).message)}.`);
  }
}
