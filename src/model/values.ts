import { coerceValue } from "../encoding/coerce.js";
import { describeReceived, ValidationError, type ValidationIssue } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { KeyType } from "../fields/field-type.js";
import { Reference } from "../fields/reference.js";
import { normalizeTags } from "../fields/tag.js";
import { isEscapedPart, splitKey } from "../keys/escape.js";
import {
  allBuckets,
  bucketFor,
  inBucket,
  inLayout,
  instanceKey,
  isKeyOfModel,
  keyBody,
  keyPrefixOf,
  valuePart,
} from "../keys/keys.js";
import { checkValue } from "./constraints.js";
import type { ModelMeta } from "./meta.js";
import { targetName } from "./targets.js";

/** A relationship value's instance key (`"Author:Tolkien"`), whether given as instance, Reference or key. */
export const relatedKeyOf = (value: unknown): string | undefined => {
  if (typeof value === "string") return value;
  // Only an instance made by Model() or a Reference: a plain object with a `redisKey` (untyped
  // JSON from a request) is not accepted as one.
  if (modelNameOf(value) !== undefined && "redisKey" in (value as object)) {
    const key = (value as { redisKey: unknown }).redisKey;
    if (typeof key === "string") return key;
  }
  return undefined;
};

/** The model name of an instance made by Model(), if `value` is one. */
function modelNameOf(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  if (value instanceof Reference) return value.modelName;
  const meta = (value.constructor as { meta?: { name?: unknown } } | undefined)?.meta;
  return typeof meta?.name === "string" ? meta.name : undefined;
}

/** What a relationship to `target` accepts, for messages. */
const relatedExpected = (target: string): string => `a ${target} instance, a Reference or a ${target} key`;

/** A related instance's key, checked against the relationship's target model. */
export function checkRelated(
  meta: ModelMeta,
  name: string,
  spec: FieldSpec,
  value: unknown,
): { ok: true; key: string } | { ok: false; message: string } {
  const target = targetName(meta.name, name, spec);
  const given = relatedKeyOf(value);
  const key = given === undefined ? undefined : inLayout(target, given);
  if (key === undefined)
    return {
      ok: false,
      message: `expected ${relatedExpected(target)}, received ${describeReceived(value)}`,
    };
  const model = modelNameOf(value);
  if (model !== undefined && model !== target)
    return { ok: false, message: `expected a ${target} instance, received a ${model} instance (${key})` };
  const prefix = keyPrefixOf(target, key);
  if (!isKeyOfModel(target, key))
    return {
      ok: false,
      message: `expected a ${target} key such as "${prefix}…", received ${JSON.stringify(key)}`,
    };
  const unescaped = splitKey(key.slice(prefix.length)).find((part) => !isEscapedPart(part));
  if (unescaped !== undefined)
    return {
      ok: false,
      message:
        `expected a ${target} key as stored, received ${JSON.stringify(key)}: ${JSON.stringify(unescaped)} is ` +
        `not escaped as popoto stores key values, so it names no instance. Pass the ${target} instance, or ` +
        `its redisKey`,
    };
  return { ok: true, key };
}

/** Redis stores points between these latitudes (the Web Mercator limits). */
const MAX_LATITUDE = 85.05112878;

/** A location: finite latitude within Redis's limits and longitude within ±180 (0 is a real place). */
function checkGeo(
  value: unknown,
  fail: (expected: string, message: string) => { ok: false },
): { ok: true; value: unknown } | { ok: false } {
  const expected = `{ latitude, longitude } with latitude within ±${MAX_LATITUDE} and longitude within ±180`;
  if (typeof value !== "object" || value === null) return fail(expected, `expected ${expected}`);
  const { latitude, longitude } = value as { latitude?: unknown; longitude?: unknown };
  if (
    typeof latitude !== "number" ||
    typeof longitude !== "number" ||
    !Number.isFinite(latitude) ||
    !Number.isFinite(longitude)
  )
    return fail(
      expected,
      `expected numeric latitude and longitude, received ${describeReceived(latitude)}, ${describeReceived(longitude)}`,
    );
  if (Math.abs(latitude) > MAX_LATITUDE || Math.abs(longitude) > 180)
    return fail(expected, `latitude ${latitude}, longitude ${longitude} is out of range (${expected})`);
  return { ok: true, value: { latitude, longitude } };
}

/**
 * Tags: an array or Set of strings, held as Popoto stores them (unique, sorted by code point).
 * No value (undefined, or null as Popoto reads None) is no tags.
 */
function checkTags(
  value: unknown,
  fail: (expected: string, message: string) => { ok: false },
): { ok: true; value: unknown } | { ok: false } {
  const expected = "an array or Set of strings (tags)";
  if (value === undefined || value === null) return { ok: true, value: [] };
  if (!Array.isArray(value) && !(value instanceof Set))
    return fail(expected, `expected ${expected}, received ${describeReceived(value)}`);
  const tags: string[] = [];
  for (const tag of value as Iterable<unknown>) {
    if (typeof tag !== "string")
      return fail(
        expected,
        `expected ${expected}, received a tag ${describeReceived(tag)}; tags are strings`,
      );
    tags.push(tag);
  }
  return { ok: true, value: normalizeTags(tags) };
}

/** Checks and converts one field's value; `undefined` counts as missing. */
export function checkField(
  meta: ModelMeta,
  spec: FieldSpec,
  name: string,
  value: unknown,
  issues: ValidationIssue[],
): { ok: true; value: unknown } | { ok: false } {
  const fail = (expected: string, message: string): { ok: false } => {
    issues.push({ field: name, value, expected, received: describeReceived(value), message });
    return { ok: false };
  };
  if (spec.kind === "relationship" && spec.many) {
    const list = value === undefined || value === null ? [] : value;
    const target = targetName(meta.name, name, spec);
    const expected = `an array of ${target} instances, References or ${target} keys`;
    if (!Array.isArray(list))
      return fail(expected, `expected ${expected}, received ${describeReceived(value)}`);
    const keys: string[] = [];
    for (const item of list) {
      const related = checkRelated(meta, name, spec, item);
      if (!related.ok) return fail(expected, related.message);
      if (!keys.includes(related.key)) keys.push(related.key);
    }
    return { ok: true, value: keys };
  }
  if (spec.kind === "tag") return checkTags(value, fail);
  if (value === undefined || value === null) {
    if (spec.nullable) return { ok: true, value: null };
    const expected =
      spec.kind === "relationship" ? relatedExpected(targetName(meta.name, name, spec)) : spec.type;
    // A relationship is nullable unless declared `null: false`; any other field once declared `null: true`.
    const allowNull =
      spec.kind === "relationship"
        ? "declare the relationship without `null: false`"
        : "declare it with `null: true`";
    return value === undefined
      ? fail(expected, `is required (expected ${expected}, received undefined)`)
      : fail(
          expected,
          `is required and cannot be null (expected ${expected}); give it a value, or ${allowNull}`,
        );
  }
  if (spec.kind === "geo") return checkGeo(value, fail);
  if (spec.kind === "relationship") {
    const related = checkRelated(meta, name, spec, value);
    return related.ok
      ? { ok: true, value: related.key }
      : fail(relatedExpected(targetName(meta.name, name, spec)), related.message);
  }
  const result = coerceValue(spec.type, value);
  if (!result.ok)
    return fail(result.expected, `expected ${result.expected}, received ${describeReceived(value)}`);
  if (
    spec.maxLength !== undefined &&
    typeof result.value === "string" &&
    result.value.length > spec.maxLength
  )
    return fail(
      `string of at most ${spec.maxLength} characters`,
      `is ${result.value.length} characters long; the limit is ${spec.maxLength}`,
    );
  return result;
}

/**
 * Validates every field of `source` for a save and returns canonical values (relationships as
 * keys). Throws one ValidationError listing every bad field, before anything is written.
 */
export function validateForSave(
  meta: ModelMeta,
  source: Readonly<Record<string, unknown>>,
): Map<string, unknown> {
  const issues: ValidationIssue[] = [];
  const values = new Map<string, unknown>();
  for (const name of meta.fieldNames) {
    const spec = meta.fields.get(name) as FieldSpec;
    const result = checkField(meta, spec, name, source[name], issues);
    if (result.ok) {
      checkValue(spec, name, result.value, issues);
      values.set(name, result.value);
    }
  }
  if (issues.length > 0) throw new ValidationError(meta.name, issues);
  return values;
}

/** Validates the listed fields only (a partial save). */
export function validateFields(
  meta: ModelMeta,
  source: Readonly<Record<string, unknown>>,
  fields: readonly string[],
): Map<string, unknown> {
  const issues: ValidationIssue[] = [];
  const values = new Map<string, unknown>();
  for (const name of fields) {
    const spec = meta.fields.get(name) as FieldSpec;
    const result = checkField(meta, spec, name, source[name], issues);
    if (result.ok) {
      checkValue(spec, name, result.value, issues);
      values.set(name, result.value);
    }
  }
  if (issues.length > 0) throw new ValidationError(meta.name, issues);
  return values;
}

/** Validates only the key fields, for computing an instance key. */
export function keyValues(
  meta: ModelMeta,
  source: Readonly<Record<string, unknown>>,
  action: string,
): Map<string, unknown> {
  const issues: ValidationIssue[] = [];
  const values = new Map<string, unknown>();
  // A model sharded by a relationship: the relationship, when given, names the bucket.
  const by = meta.shards > 1 && !keyFieldsNameKey(meta) ? meta.shardBy : undefined;
  const names = by !== undefined && source[by] !== undefined ? [...meta.keyFields, by] : meta.keyFields;
  for (const name of names) {
    const result = checkField(meta, meta.fields.get(name) as FieldSpec, name, source[name], issues);
    if (result.ok) values.set(name, result.value);
  }
  if (issues.length > 0) throw new ValidationError(meta.name, issues, action);
  return values;
}

const keyParts = (meta: ModelMeta, values: ReadonlyMap<string, unknown>): string[] =>
  meta.keyFields.map((name) =>
    valuePart((meta.fields.get(name) as FieldSpec).type as KeyType, values.get(name)),
  );

/**
 * The bucket of a sharded model's instance: its own key parts, or the `shardBy` field's part (a
 * key field) or target's key body (a relationship; a null one counts as not given). Undefined
 * when `shardBy` is a relationship missing from `values` (a lookup by key fields alone).
 */
function shardBucket(
  meta: ModelMeta,
  parts: readonly string[],
  values: ReadonlyMap<string, unknown>,
): number | undefined {
  const by = meta.shardBy;
  if (by === undefined) return bucketFor(meta, parts);
  const position = meta.keyFields.indexOf(by);
  if (position >= 0) return bucketFor(meta, parts, parts[position]);
  if (!values.has(by)) return undefined;
  const related = values.get(by);
  return bucketFor(meta, parts, typeof related === "string" ? keyBody(related) : undefined);
}

/**
 * `Model:part…` from canonical key-field values (key fields in code-point order of their names);
 * a sharded model's key carries its bucket's tag (`{Event#3.17}:part…`), so its `shardBy`
 * relationship must be among the values.
 */
export const computeKey = (meta: ModelMeta, values: ReadonlyMap<string, unknown>): string => {
  const parts = keyParts(meta, values);
  if (meta.shards <= 1) return instanceKey(meta, parts);
  const bucket = shardBucket(meta, parts, values);
  if (bucket === undefined)
    throw new Error(
      `popoto internal: ${meta.name}'s key computed without its shardBy "${meta.shardBy ?? ""}"`,
    );
  return instanceKey(inBucket(meta, bucket), parts);
};

/** True when the key fields alone name an instance's key (false for a model sharded by a relationship). */
export const keyFieldsNameKey = (meta: ModelMeta): boolean =>
  meta.shards <= 1 || meta.shardBy === undefined || meta.keyFields.includes(meta.shardBy);

/**
 * The keys an instance with these key-field values may have: one, or, for a model sharded by a
 * relationship that is not given, its key in every bucket (a load then reads them all at once).
 */
export const candidateKeys = (meta: ModelMeta, values: ReadonlyMap<string, unknown>): string[] => {
  const parts = keyParts(meta, values);
  if (meta.shards <= 1) return [instanceKey(meta, parts)];
  const bucket = shardBucket(meta, parts, values);
  return bucket === undefined
    ? allBuckets(meta).map((view) => instanceKey(view, parts))
    : [instanceKey(inBucket(meta, bucket), parts)];
};

/** Rejects names that are not fields of the model (a typo in create() must not be dropped silently). */
export function rejectUnknownFields(meta: ModelMeta, source: object, action: string): void {
  const issues = unknownFieldIssues(meta, source);
  if (issues.length > 0) throw new ValidationError(meta.name, issues, action);
}

/** One issue per name in `source` that is not a field of the model. */
export function unknownFieldIssues(meta: ModelMeta, source: object): ValidationIssue[] {
  return Object.keys(source)
    .filter((name) => !meta.fields.has(name))
    .map((field) => ({
      field,
      value: (source as Record<string, unknown>)[field],
      expected: `one of ${meta.fieldNames.join(", ")}`,
      received: "an unknown field",
      message: `is not a field of ${meta.name}; remove it or declare it in the model`,
    }));
}
