/**
 * `Model()`'s checks: every field declaration and model option is checked here, before a model
 * exists, and turned into the `ModelMeta` the rest of popoto reads. Over 300 lines because the
 * checks of fields and of the options that refer to them (orderBy, ttl, changes, composite
 * indexes) read the same field table and must agree; the value options of each field kind live in
 * define-checks.ts.
 */
import { AUTO_KEY_KINDS, AUTO_KEY_LENGTHS } from "../keys/ids.js";
import { coerceValue } from "../encoding/coerce.js";
import { ModelDefinitionError } from "../errors.js";
import { AutoKeyField } from "../fields/auto-key.js";
import { FieldDef, type AnyField, type FieldSpec } from "../fields/field.js";
import { FIELD_TYPES, KEY_TYPES, SORTED_TYPES } from "../fields/field-type.js";
import { checkValueOptions } from "./define-checks.js";
import { defineShards } from "./define-shards.js";
import type { ModelMeta, ModelOptions } from "./meta.js";

/** Field names that would shadow instance members or query options. */
export const RESERVED_FIELD_NAMES = new Set([
  // Popoto's reserved lookup options
  "limit",
  "order_by",
  "values",
  // instance and query members of popoto
  "save",
  "delete",
  "redisKey",
  "pk",
  "toJSON",
  "toDict",
  "reload",
  "refresh",
  "load",
  "related",
  "atomicIncrement",
  "preSave",
  "postSave",
  "preDelete",
  "postDelete",
  "constructor",
  "prototype",
  "orderBy",
  "offset",
  "fields",
  "query",
  "objects",
]);

/** The hidden key field a model without key fields gets (Popoto's `_auto_key`). */
export const AUTO_KEY_FIELD = "_auto_key";

const ON_DELETE = ["nothing", "cascade", "setNull", "protect"];

const isKeyKind = (spec: FieldSpec): boolean =>
  spec.kind === "key" || spec.kind === "uniqueKey" || spec.kind === "autoKey" || spec.kind === "sortedKey";

/** Code-point order, as Python sorts str: not `localeCompare`. */
export const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function checkFieldName(model: string, name: string): void {
  const fail = (why: string): never => {
    throw new ModelDefinitionError(model, `field name "${name}" ${why}`, name);
  };
  if (!/^[a-z_]/.test(name)) fail("must start with a lowercase letter or _ (Popoto's rule); rename it.");
  if (!/^[A-Za-z0-9_]+$/.test(name)) fail("may only contain letters, digits and _; rename it.");
  if (name.includes("__"))
    fail('contains "__", which separates lookups in filters (author__name__startswith); use a single _.');
  if (name.endsWith("_"))
    fail("ends with _, which makes lookups such as name___in ambiguous; drop the trailing _.");
  if (RESERVED_FIELD_NAMES.has(name)) fail("is reserved by popoto; choose another name.");
}

function checkSpec(
  model: string,
  name: string,
  spec: FieldSpec,
  fields: ReadonlyMap<string, FieldSpec>,
): void {
  const fail = (why: string): never => {
    throw new ModelDefinitionError(model, `${spec.factory} "${name}" ${why}`, name);
  };
  if (!Object.hasOwn(FIELD_TYPES, spec.type))
    fail(
      `has type ${JSON.stringify(spec.type)}, which is not a valid Field type; use one of ${Object.keys(FIELD_TYPES).join(", ")}.`,
    );
  checkValueOptions(spec, fail);
  // Each factory's option table is checked against its options interface (fields/*.ts).
  const known = spec.accepts;
  for (const option of Object.keys(spec.options)) {
    if (!known.includes(option))
      fail(`has unknown option "${option}"; ${spec.factory} accepts ${known.join(", ")}.`);
  }
  if (spec.kind === "indexed" || spec.kind === "unique") {
    if (!Object.hasOwn(KEY_TYPES, spec.type))
      fail(
        `has type ${spec.type}, which cannot be indexed by value (its value names a Redis set). ` +
          `Use one of ${Object.keys(KEY_TYPES).join(", ")}, or store the ${spec.type} in a plain Field.`,
      );
  }
  if (spec.kind === "key" || spec.kind === "uniqueKey" || spec.kind === "sortedKey") {
    if (!Object.hasOwn(KEY_TYPES, spec.type))
      fail(
        `has type ${spec.type}, which is not a valid KeyField type: key values become part of the Redis key. ` +
          `Use one of ${Object.keys(KEY_TYPES).join(", ")}, or store the ${spec.type} in a plain Field.`,
      );
  }
  if (spec.lexIndex && spec.type !== "string")
    fail(
      `has lexIndex with type ${spec.type}; lex indexes answer string lookups (__startswith, __endswith, ` +
        "__contains) only. Remove `lexIndex`, or make the field a string.",
    );
  if (spec.kind === "relationship") {
    const target = spec.target;
    if (
      typeof target !== "string" &&
      typeof target !== "function" &&
      (typeof target !== "object" || target === null)
    )
      fail(
        "needs a target: a model class, a function returning one, or a model name, e.g. Relationship(Author).",
      );
    if (!ON_DELETE.includes(spec.onDelete))
      fail(
        `has onDelete ${JSON.stringify(spec.onDelete)}; use one of ${ON_DELETE.map((o) => `"${o}"`).join(", ")}.`,
      );
    if (spec.onDelete === "setNull" && !spec.nullable && !spec.many)
      fail('has onDelete "setNull" but `null: false`; allow null, or choose "cascade" or "protect".');
  }
  if (spec.kind === "uniqueKey" && spec.nullable)
    fail("cannot be null: a unique key must identify one instance. Remove `null: true`, or use KeyField.");
  if (spec.kind === "autoKey") {
    if (spec.nullable) fail("cannot be null: it is generated for every instance. Remove `null: true`.");
    if (!AUTO_KEY_KINDS.includes(spec.autoKind))
      fail(
        `has kind ${JSON.stringify(spec.autoKind)}; use one of ${AUTO_KEY_KINDS.map((k) => `"${k}"`).join(", ")}.`,
      );
    if (spec.autoKind !== "uuid" && spec.options["length"] !== undefined)
      fail(
        `has length with kind "${spec.autoKind}": a ${spec.autoKind} is always ${AUTO_KEY_LENGTHS[spec.autoKind]} characters; remove length.`,
      );
    if (!Number.isInteger(spec.autoLength) || spec.autoLength < 1 || spec.autoLength > 32)
      fail(`has length ${spec.autoLength}; use a whole number from 1 to 32 (hex characters of a UUID).`);
  }
  if (spec.kind === "sorted" || spec.kind === "sortedKey") {
    if (spec.nullable)
      fail(
        "cannot be null: a sorted set has no score for null (Popoto: SortedField cannot be null). Remove `null: true`, or give a default.",
      );
    if (!Object.hasOwn(SORTED_TYPES, spec.type))
      fail(
        `has type ${spec.type}, which has no sort score; use one of ${Object.keys(SORTED_TYPES).join(", ")}.`,
      );
    for (const partition of spec.partitionBy) {
      const target = fields.get(partition);
      if (partition === name)
        fail(
          `cannot be partitioned by itself; partition by another field (e.g. a KeyField), or drop partitionBy.`,
        );
      if (!target)
        return fail(
          `is partitioned by "${partition}", which is not a field of ${model}; name a declared field.`,
        );
      if (target.kind === "relationship" && target.many)
        fail(
          `is partitioned by "${partition}", a relationship with many targets; partition by a single value.`,
        );
      if (target.kind !== "relationship" && !Object.hasOwn(KEY_TYPES, target.type))
        fail(
          `is partitioned by "${partition}", a ${target.type} field; partition fields must have key-able values.`,
        );
    }
  }
  if (spec.maxLength !== undefined && (!Number.isInteger(spec.maxLength) || spec.maxLength < 1))
    fail(`has maxLength ${spec.maxLength}; use a positive whole number.`);
  if (spec.hasDefault && typeof spec.default !== "function" && spec.default !== null) {
    const result = coerceValue(spec.type, spec.default);
    if (!result.ok) fail(`has a default that is not a valid ${spec.type}: expected ${result.expected}.`);
  }
  if (spec.hasDefault && spec.default === null && !spec.nullable)
    fail("has default null but is not nullable; add `null: true` or choose another default.");
}

/**
 * Checks a model declaration and builds its run-time description. Every mistake throws a
 * ModelDefinitionError naming the model, the field and the fix, when the model is defined.
 */
export function defineMeta(
  name: string,
  fields: Record<string, AnyField>,
  options: ModelOptions = {},
): ModelMeta {
  if (typeof name !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new ModelDefinitionError(
      String(name),
      "the model name must be an identifier (letters, digits and _, not starting with a digit): it is the " +
        "prefix of every Redis key, and must match the Python class name when data is shared.",
    );
  if (fields === null || typeof fields !== "object")
    throw new ModelDefinitionError(
      name,
      "the second argument must be an object of fields, e.g. { title: KeyField() }.",
    );
  const specs = new Map<string, FieldSpec>();
  for (const [fieldName, field] of Object.entries(fields)) {
    if (!(field instanceof FieldDef))
      throw new ModelDefinitionError(
        name,
        `field "${fieldName}" is not a field definition; declare it with Field(), KeyField(), SortedField() or another field factory.`,
        fieldName,
      );
    checkFieldName(name, fieldName);
    specs.set(fieldName, field.spec);
  }
  for (const [fieldName, spec] of specs) checkSpec(name, fieldName, spec, specs);
  if (![...specs.values()].some(isKeyKind)) specs.set(AUTO_KEY_FIELD, AutoKeyField().spec);

  const ttl = options.ttl;
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0))
    throw new ModelDefinitionError(
      name,
      `ttl must be a positive whole number of seconds, got ${String(ttl)}.`,
    );
  if (options.expiring !== undefined && typeof options.expiring !== "boolean")
    throw new ModelDefinitionError(name, `expiring must be true or false, got ${String(options.expiring)}.`);
  const orderBy =
    options.orderBy === undefined
      ? []
      : typeof options.orderBy === "string"
        ? [options.orderBy]
        : [...options.orderBy];
  for (const entry of orderBy) {
    const field = entry.startsWith("-") ? entry.slice(1) : entry;
    if (!specs.has(field))
      throw new ModelDefinitionError(
        name,
        `orderBy names "${field}", which is not a field of ${name}; use one of ${[...specs.keys()].join(", ")} (prefix - for descending).`,
        field,
      );
  }
  for (const option of Object.keys(options)) {
    if (!["ttl", "expiring", "orderBy", "events", "changes", "indexes", "shards", "shardBy"].includes(option))
      throw new ModelDefinitionError(
        name,
        `unknown model option "${option}"; models accept ttl, expiring, orderBy, events, changes, indexes, shards and shardBy.`,
      );
  }
  const changes = changeFeedOption(name, options.changes);
  const compositeIndexes = checkIndexes(name, options.indexes, specs);

  const fieldNames = [...specs.keys()];
  const keyFields = fieldNames.filter((f) => isKeyKind(specs.get(f) as FieldSpec)).sort(byCodePoint);
  const partitionFields = new Set([...specs.values()].flatMap((s) => s.partitionBy));
  const indexedFields = fieldNames.filter((f) => {
    const spec = specs.get(f) as FieldSpec;
    return spec.kind !== "plain" || partitionFields.has(f);
  });
  const { shards, shardBy } = defineShards(name, specs, keyFields, options);
  return {
    name,
    shards,
    shardBy,
    fields: specs,
    fieldNames,
    keyFields,
    indexedFields,
    ttl,
    expiring: ttl !== undefined || options.expiring === true,
    orderBy,
    events: options.events === true,
    compositeIndexes,
    changes,
  };
}

/** Popoto 1.x's `_stream_max_length` default. */
const DEFAULT_CHANGES_MAX_LEN = 10_000;

/** The `changes` option as the write planner reads it: the stream's bound, or no change feed. */
function changeFeedOption(name: string, option: ModelOptions["changes"]): { maxLen: number } | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return { maxLen: DEFAULT_CHANGES_MAX_LEN };
  if (typeof option !== "object" || option === null)
    throw new ModelDefinitionError(name, `changes must be true, false or { maxLen }, got ${String(option)}.`);
  for (const key of Object.keys(option))
    if (key !== "maxLen")
      throw new ModelDefinitionError(name, `unknown changes option "${key}"; changes accepts maxLen.`);
  const maxLen = option.maxLen ?? DEFAULT_CHANGES_MAX_LEN;
  if (!Number.isSafeInteger(maxLen) || maxLen <= 0)
    throw new ModelDefinitionError(
      name,
      `changes.maxLen must be a positive whole number of stream entries, got ${String(maxLen)}.`,
    );
  return { maxLen };
}

/** Kinds a composite index may cover: fields filterable by equality on one value. */
const COMPOSITE_KINDS = new Set([
  "key",
  "uniqueKey",
  "autoKey",
  "sortedKey",
  "indexed",
  "unique",
  "sorted",
  "relationship",
]);

/** Checks the `indexes` model option and returns the composite indexes it declares. */
function checkIndexes(
  model: string,
  given: ModelOptions["indexes"],
  specs: ReadonlyMap<string, FieldSpec>,
): ModelMeta["compositeIndexes"] {
  if (given === undefined) return [];
  const example = 'e.g. indexes: [["author", "year"], { fields: ["isbn", "edition"], unique: true }]';
  if (!Array.isArray(given))
    throw new ModelDefinitionError(model, `indexes must be an array of composite indexes, ${example}.`);
  const seen = new Set<string>();
  return given.map((entry: unknown) => {
    const isList = Array.isArray(entry);
    const fields: unknown = isList ? entry : (entry as { fields?: unknown } | null)?.fields;
    const unique: unknown = isList ? false : ((entry as { unique?: unknown }).unique ?? false);
    if (!Array.isArray(fields) || typeof unique !== "boolean")
      throw new ModelDefinitionError(
        model,
        `indexes has ${JSON.stringify(entry)}; each index is an array of field names or { fields, unique }, ${example}.`,
      );
    const names = fields as unknown[];
    const label = names.map(String).join("+");
    const fail = (why: string, field?: string): never => {
      throw new ModelDefinitionError(
        model,
        `index [${names.map((n) => JSON.stringify(n)).join(", ")}] ${why}`,
        field,
      );
    };
    if (names.length < 2)
      fail(
        "names fewer than two fields; a one-field index is IndexedField() (or UniqueField()) on that field.",
      );
    if (new Set(names).size !== names.length) fail("names a field twice; list each field once.");
    for (const field of names) {
      const spec = typeof field === "string" ? specs.get(field) : undefined;
      if (!spec)
        return fail(
          `names ${JSON.stringify(field)}, which is not a field of ${model}; name declared fields.`,
          String(field),
        );
      if (!COMPOSITE_KINDS.has(spec.kind) || (spec.kind === "relationship" && spec.many))
        fail(
          `names "${field}", a ${spec.factory} (${spec.kind === "relationship" ? "with many targets" : "not filterable by one value"}); ` +
            "index fields must each be filterable by equality: KeyField, IndexedField, UniqueField, SortedField or a Relationship. " +
            "Declare it as one of those, or leave it out of the index.",
          field as string,
        );
    }
    if (seen.has(label)) fail("is declared twice; remove one.");
    seen.add(label);
    return { fields: names as string[], unique };
  });
}
