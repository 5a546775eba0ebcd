import { coerceValue } from "../encoding/coerce.js";
import { toScore } from "../encoding/scores.js";
import { formatValue } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { KeyType, SortedType } from "../fields/field-type.js";
import { inLayout, valuePart } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { targetName } from "../model/targets.js";
import { relatedKeyOf } from "../model/values.js";
import type { Lookup } from "./lookup.js";

/*
 * The check of a loaded row against its filter's direct lookups, from the values in hand. Indexes
 * are derived data: another client (Python Popoto 0.8.3 leaves a reassigned row in its old target's
 * reverse set, and old partition entries after a change) can leave an entry that names a row the
 * row no longer matches. Pure: no Redis.
 */

const SORTED = new Set(["sorted", "sortedKey"]);

/** A comparable form of a value of the field: its key part, or a related key. */
const partOf = (spec: FieldSpec, value: unknown): string | undefined => {
  if (value === null || value === undefined) return "None";
  if (spec.kind === "relationship") return relatedKeyOf(value);
  if (spec.type === "string" && (typeof value === "number" || typeof value === "boolean"))
    return valuePart("string", typeof value === "boolean" ? (value ? "True" : "False") : String(value));
  const coerced = coerceValue(spec.type, value);
  if (!coerced.ok) return undefined;
  try {
    return valuePart(spec.type as KeyType, coerced.value);
  } catch {
    return undefined;
  }
};

const scoreOf = (spec: FieldSpec, value: unknown): number | undefined => {
  const coerced = coerceValue(spec.type, value);
  if (!coerced.ok) return undefined;
  try {
    return toScore(spec.type as SortedType, coerced.value);
  } catch {
    return undefined;
  }
};

/** Whether a stored value equals a lookup value; undefined when the check cannot tell. */
function equals(spec: FieldSpec, stored: unknown, wanted: unknown): boolean | undefined {
  if (SORTED.has(spec.kind)) {
    const [a, b] = [scoreOf(spec, stored), scoreOf(spec, wanted)];
    return a === undefined || b === undefined ? undefined : a === b;
  }
  if (spec.kind === "relationship" && Array.isArray(stored)) {
    const want = relatedKeyOf(wanted);
    return want === undefined ? undefined : stored.some((k) => relatedKeyOf(k) === want);
  }
  const [a, b] = [partOf(spec, stored), partOf(spec, wanted)];
  return a === undefined || b === undefined ? undefined : a === b;
}

function rangeHolds(spec: FieldSpec, lookup: Lookup, stored: unknown): boolean | undefined {
  const score = scoreOf(spec, stored);
  if (score === undefined) return undefined;
  const bound = (v: unknown): number | undefined => scoreOf(spec, v);
  switch (lookup.op) {
    case "gt":
    case "gte":
    case "lt":
    case "lte": {
      const b = bound(lookup.value);
      if (b === undefined) return undefined;
      if (lookup.op === "gt") return score > b;
      if (lookup.op === "gte") return score >= b;
      if (lookup.op === "lt") return score < b;
      return score <= b;
    }
    case "between": {
      if (!Array.isArray(lookup.value)) return undefined;
      const [low, high] = [bound(lookup.value[0]), bound(lookup.value[1])];
      return low === undefined || high === undefined ? undefined : score >= low && score <= high;
    }
    default:
      return undefined;
  }
}

/** Whether stored tags satisfy a tag lookup (membership of one, any or all of the given tags). */
function tagsHold(lookup: Lookup, stored: unknown): boolean | undefined {
  const tags = new Set(Array.isArray(stored) ? stored.map(String) : []);
  if (lookup.op === "contains") return typeof lookup.value === "string" ? tags.has(lookup.value) : undefined;
  if (!Array.isArray(lookup.value)) return undefined;
  const wanted = lookup.value.map(String);
  if (lookup.op === "any") return wanted.some((t) => tags.has(t));
  if (lookup.op === "all") return wanted.length > 0 && wanted.every((t) => tags.has(t));
  return undefined;
}

/** Whether the stored value satisfies one lookup; undefined when it cannot be told from the value. */
export function lookupHolds(spec: FieldSpec, lookup: Lookup, stored: unknown): boolean | undefined {
  if (spec.kind === "tag") return tagsHold(lookup, stored);
  switch (lookup.op) {
    case "":
      return equals(spec, stored, lookup.value);
    case "in": {
      if (!Array.isArray(lookup.value)) return undefined;
      let unknown = false;
      for (const v of lookup.value) {
        const r = equals(spec, stored, v);
        if (r === true) return true;
        if (r === undefined) unknown = true;
      }
      return unknown ? undefined : false;
    }
    case "isnull": {
      const isNull =
        stored === null || stored === undefined || (Array.isArray(stored) && stored.length === 0);
      return typeof lookup.value === "boolean" ? isNull === lookup.value : undefined;
    }
    case "startswith":
    case "endswith":
    case "contains": {
      if (typeof lookup.value !== "string") return undefined;
      if (typeof stored !== "string") return false;
      if (lookup.op === "startswith") return stored.startsWith(lookup.value);
      if (lookup.op === "endswith") return stored.endsWith(lookup.value);
      return stored.includes(lookup.value);
    }
    case "gt":
    case "gte":
    case "lt":
    case "lte":
    case "between":
      return rangeHolds(spec, lookup, stored);
    default:
      // `within` is answered by the geo set itself, which Popoto keeps in step with the hash.
      return undefined;
  }
}

/**
 * A relationship lookup with its target keys spelled as the stored values are: on a cluster, a key
 * given in the standalone spelling (`Athlete:Ann`) names the stored `{Athlete}:Ann`, as it does
 * for the index the query read (plan.ts).
 */
function inStoredLayout(meta: ModelMeta, spec: FieldSpec, lookup: Lookup): Lookup {
  if (spec.kind !== "relationship") return lookup;
  const target = targetName(meta.name, lookup.field, spec);
  const one = (value: unknown): unknown => {
    const key = relatedKeyOf(value);
    return key === undefined ? value : inLayout(target, key);
  };
  return { ...lookup, value: Array.isArray(lookup.value) ? lookup.value.map(one) : one(lookup.value) };
}

/** A direct lookup as rows are checked against it: its field's spec and its stored spelling. */
export interface RowCheck {
  readonly lookup: Lookup;
  readonly spec: FieldSpec;
  readonly stored: Lookup;
}

/**
 * The direct lookups of a query, prepared once for every row it returns (a relationship lookup's
 * keys are respelled for the stored layout here, not per row). Lookups through a relationship
 * path, or on fields the model does not declare, are not checked.
 */
export function rowChecks(meta: ModelMeta, lookups: readonly Lookup[]): RowCheck[] {
  const checks: RowCheck[] = [];
  for (const lookup of lookups) {
    if (lookup.path.length > 0) continue;
    const spec = meta.fields.get(lookup.field);
    if (spec) checks.push({ lookup, spec, stored: inStoredLayout(meta, spec, lookup) });
  }
  return checks;
}

/**
 * The first direct lookup a row's values contradict, with a message, or undefined when the row
 * matches (or its values cannot tell). Lookups on fields the row does not carry are skipped.
 */
export function contradiction(
  meta: ModelMeta,
  key: string,
  values: ReadonlyMap<string, unknown>,
  checks: readonly RowCheck[],
): { field: string; message: string } | undefined {
  for (const { lookup, spec, stored: asStored } of checks) {
    if (!values.has(lookup.field)) continue;
    const stored = values.get(lookup.field);
    if (lookupHolds(spec, asStored, stored) !== false) continue;
    return {
      field: lookup.field,
      message:
        `${key} is in an index of ${meta.name} for ${lookup.source} = ${formatValue(lookup.value)}, but its ` +
        `stored ${lookup.field} is ${formatValue(stored)}: an index entry left behind by another client ` +
        `(Python Popoto 0.8.3 leaves one when it reassigns or moves a row). The row was left out of the ` +
        `result; \`npx popoto clean\` removes such entries.`,
    };
  }
  return undefined;
}
