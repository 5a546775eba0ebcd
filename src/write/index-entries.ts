import type { FieldSpec } from "../fields/field.js";
import type { KeyType, SortedType } from "../fields/field-type.js";
import { toScore } from "../encoding/scores.js";
import {
  classSet,
  compositeIndexHash,
  compositeSet,
  forKey,
  geoSet,
  valueSet,
  type ValueSetKind,
  lexIndex,
  lexReverseIndex,
  relatedPartitionPart,
  relationshipSet,
  sortedSet,
  tagPointer,
  tagSet,
  valuePart,
} from "../keys/keys.js";
import { indexDigest, pythonStr } from "../keys/index-digest.js";
import type { ModelMeta } from "../model/meta.js";
import { UNKNOWN_SCORE } from "../model/hash.js";

/**
 * One index membership of an instance: a set member (`s`), a sorted-set member with a score (`z`),
 * a geo member (`g`) or a hash entry (`h`: a `$Index` hash's field naming the instance, its
 * `member` being `hashMember(field, instance key)`). Computed in TypeScript, from values, so Lua
 * never builds a key name.
 */
export type IndexEntry =
  | { readonly kind: "s"; readonly key: string; readonly member: string }
  | { readonly kind: "h"; readonly key: string; readonly member: string }
  | { readonly kind: "z"; readonly key: string; readonly member: string; readonly score: number }
  | {
      readonly kind: "g";
      readonly key: string;
      readonly member: string;
      readonly longitude: number;
      readonly latitude: number;
    };

/**
 * A hash entry as one member, `<field>\0\0<instance key>` (the field is a hex digest, so the
 * first `\0\0` ends it): so entries compare, diff and name their instance as members do.
 */
export const hashMember = (field: string, key: string): string => `${field}\0\0${key}`;

/** The field and the value (an instance key) of a hash entry's member. */
export const splitHashMember = (member: string): { field: string; value: string } => {
  const at = member.indexOf("\0\0");
  return { field: member.slice(0, at), value: member.slice(at + 2) };
};

/**
 * `<value>\0\0<instance key>`: a lex-index member. A NUL inside the value is written as `\0\1`, so the
 * first `\0\0` always ends the value and prefixes of values stay prefixes of members.
 */
export const lexMember = (value: string, key: string): string =>
  `${value.replaceAll("\0", "\0\x01")}\0\0${key}`;

/** Reverses a string by code points, for the `$LexRevF` index that answers `__endswith`. */
export const reverseString = (value: string): string => Array.from(value).reverse().join("");

const partitionPart = (spec: FieldSpec, value: unknown): string =>
  spec.kind === "relationship"
    ? relatedPartitionPart(value === null || value === undefined ? null : String(value))
    : valuePart(spec.type as KeyType, value);

/**
 * Every index entry of the instance at `key` whose field values are `values` (canonical values;
 * relationships as key strings). Fields missing from `values` contribute nothing, so a partial
 * view (for example values parsed from a key) yields the entries it can name.
 */
export function indexEntries(
  meta: ModelMeta,
  key: string,
  values: ReadonlyMap<string, unknown>,
): IndexEntry[] {
  // A sharded model's entries live in the instance's bucket, named by its key's tag.
  meta = forKey(meta, key);
  const entries: IndexEntry[] = [{ kind: "s", key: classSet(meta), member: key }];
  for (const name of meta.indexedFields) {
    if (!values.has(name)) continue;
    const spec = meta.fields.get(name);
    if (!spec) continue;
    const value = values.get(name);
    switch (spec.kind) {
      case "key":
      case "uniqueKey":
      case "indexed":
      case "unique": {
        entries.push({
          kind: "s",
          key: valueSet(meta, name, spec.kind, valuePart(spec.type as KeyType, value)),
          member: key,
        });
        if (spec.lexIndex && typeof value === "string") {
          entries.push({ kind: "z", key: lexIndex(meta, name), member: lexMember(value, key), score: 0 });
          entries.push({
            kind: "z",
            key: lexReverseIndex(meta, name),
            member: lexMember(reverseString(value), key),
            score: 0,
          });
        }
        break;
      }
      case "sorted":
      case "sortedKey": {
        if (value === null || value === undefined) break;
        const parts: string[] = [];
        let complete = true;
        for (const partitionName of spec.partitionBy) {
          const partitionSpec = meta.fields.get(partitionName);
          if (!partitionSpec || !values.has(partitionName)) {
            complete = false;
            break;
          }
          parts.push(partitionPart(partitionSpec, values.get(partitionName)));
        }
        if (!complete) break;
        entries.push({
          kind: "z",
          key: sortedSet(meta, name, parts, spec.kind === "sortedKey"),
          member: key,
          score: value === UNKNOWN_SCORE ? Number.NaN : toScore(spec.type as SortedType, value),
        });
        break;
      }
      case "geo": {
        const point = value as { latitude: number; longitude: number } | null;
        if (point)
          entries.push({
            kind: "g",
            key: geoSet(meta, name),
            member: key,
            longitude: point.longitude,
            latitude: point.latitude,
          });
        break;
      }
      case "relationship": {
        // A many-relationship is in one reverse set per target; with no target, in the None set.
        const targets = Array.isArray(value)
          ? (value as unknown[]).map(String)
          : value === null || value === undefined
            ? []
            : [String(value)];
        if (targets.length === 0)
          entries.push({ kind: "s", key: relationshipSet(meta, name, null), member: key });
        for (const target of targets)
          entries.push({ kind: "s", key: relationshipSet(meta, name, target), member: key });
        break;
      }
      case "tag": {
        // Each tag's set holds the instance; the pointer set names those sets (Popoto 1.x's
        // `$TagPtr`, which Python reads its previous tags from).
        const tags = Array.isArray(value) ? (value as unknown[]).map(String) : [];
        for (const tag of tags) {
          const set = tagSet(meta, name, tag);
          entries.push({ kind: "s", key: set, member: key });
          entries.push({ kind: "s", key: tagPointer(key, name), member: set });
        }
        break;
      }
      default:
        break;
    }
  }
  for (const index of meta.compositeIndexes) {
    const set = compositeSetOf(meta, index.fields, values);
    if (set !== undefined) entries.push({ kind: "s", key: set, member: key });
    const digest = index.unique ? compositeDigestOf(meta, index.fields, values) : undefined;
    if (digest !== undefined)
      entries.push({
        kind: "h",
        key: compositeIndexHash(meta, index.fields),
        member: hashMember(digest, key),
      });
  }
  return entries;
}

/**
 * The `$Index` hash field of a unique composite index for `values` (Popoto 1.x's digest of the
 * values' Python `str()`), or undefined when `values` lacks one of its fields or holds null for
 * one (Popoto writes no entry for a combination with a None).
 */
export const compositeDigestOf = (
  meta: ModelMeta,
  fields: readonly string[],
  values: ReadonlyMap<string, unknown>,
): string | undefined => {
  const texts: string[] = [];
  for (const name of fields) {
    const spec = meta.fields.get(name) as FieldSpec;
    const text = pythonStr(
      spec.kind === "relationship" ? "relationship" : (spec.type as KeyType),
      values.get(name),
    );
    if (text === undefined) return undefined;
    texts.push(text);
  }
  return indexDigest(texts);
};

/** A field's value as a part of a composite index's set name (a related key escaped again). */
const compositePart = (spec: FieldSpec, value: unknown): string =>
  spec.kind === "relationship"
    ? relatedPartitionPart(value === null || value === undefined ? null : String(value))
    : valuePart(spec.type as KeyType, value);

/** The composite index set the values name, or undefined when `values` lacks one of its fields. */
export const compositeSetOf = (
  meta: ModelMeta,
  fields: readonly string[],
  values: ReadonlyMap<string, unknown>,
): string | undefined => {
  if (!fields.every((name) => values.has(name))) return undefined;
  return compositeSet(
    meta,
    fields,
    fields.map((name) => compositePart(meta.fields.get(name) as FieldSpec, values.get(name))),
  );
};

const identity = (entry: IndexEntry): string => `${entry.kind}\u0000${entry.key}\u0000${entry.member}`;

const sameEntry = (a: IndexEntry, b: IndexEntry): boolean => {
  if (a.kind === "z" && b.kind === "z") return a.score === b.score;
  if (a.kind === "g" && b.kind === "g") return a.longitude === b.longitude && a.latitude === b.latitude;
  return true;
};

/** Field kinds whose values no two instances may share. */
const UNIQUE_KINDS = new Set(["uniqueKey", "unique"]);

/**
 * The sets a write of `values` must find free of other instances, each with the field it belongs
 * to: one per unique field with a value in `values` (null is not a value two instances can clash
 * on), then one per unique composite index (labelled by its fields joined with `+`). With
 * `changed`, only the fields it names and the composite indexes covering one of them; `values`
 * must then hold every field of those indexes.
 */
export const uniqueSets = (
  model: ModelMeta,
  values: ReadonlyMap<string, unknown>,
  key: string,
  changed?: ReadonlySet<string>,
): (readonly [string, string])[] => {
  // A sharded model's unique sets live in the instance's bucket, named by its key's tag.
  const meta = forKey(model, key);
  const touched = (name: string): boolean => changed === undefined || changed.has(name);
  const fields = meta.indexedFields
    .filter(
      (name) =>
        UNIQUE_KINDS.has(meta.fields.get(name)?.kind ?? "") &&
        touched(name) &&
        values.has(name) &&
        values.get(name) !== null,
    )
    .map((name) => {
      const spec = meta.fields.get(name) as FieldSpec;
      return [
        name,
        valueSet(meta, name, spec.kind as ValueSetKind, valuePart(spec.type as KeyType, values.get(name))),
      ] as const;
    });
  const composites = meta.compositeIndexes
    .filter(
      (index) =>
        index.unique &&
        index.fields.some(touched) &&
        index.fields.every((name) => values.has(name) && values.get(name) !== null),
    )
    .map((index) => [index.fields.join("+"), compositeSetOf(meta, index.fields, values) as string] as const);
  return [...fields, ...composites];
};

/** What a write must remove (in `before`, not in `after`) and add (new, or with a changed score). */
export function diffEntries(
  before: readonly IndexEntry[],
  after: readonly IndexEntry[],
): { remove: IndexEntry[]; add: IndexEntry[] } {
  const afterById = new Map(after.map((e) => [identity(e), e]));
  const beforeById = new Map(before.map((e) => [identity(e), e]));
  const remove = before.filter((e) => !afterById.has(identity(e)));
  const add = after.filter((e) => {
    const old = beforeById.get(identity(e));
    return old === undefined || !sameEntry(old, e);
  });
  return { remove, add };
}
