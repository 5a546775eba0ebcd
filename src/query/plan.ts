/**
 * The query planner: parsed lookups to a plan tree (`PlanNode`) of index keys and the set
 * operations between them, which compile.ts turns into one query.lua call. Pure: reads no Redis.
 *
 * Over 300 lines: one node builder per field kind (key, auto key, sorted, lex, geo, nulls) over
 * shared value and score conversion; a candidate for a split per kind.
 */
import { coerceValue } from "../encoding/coerce.js";
import { toScore } from "../encoding/scores.js";
import { QueryError, formatValue } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { KeyType, SortedType } from "../fields/field-type.js";
import {
  classSet,
  compositeSet,
  instanceKey,
  geoSet,
  valueSet,
  type ValueSetKind,
  lexIndex,
  lexReverseIndex,
  relatedPartitionPart,
  relationshipSet,
  sortedSet,
  tagSet,
  valuePart,
  valuePartForms,
} from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { checkRelated, relatedKeyOf } from "../model/values.js";
import { reverseString } from "../write/index-entries.js";
import type { Lookup } from "./lookup.js";

/**
 * A query plan node: a set of instance keys, described by the index structure that holds it.
 * `query.lua` evaluates the tree in Redis; nothing here touches Redis.
 */
export type PlanNode =
  | { readonly t: "set"; readonly key: string }
  | { readonly t: "zr"; readonly key: string; readonly min: string; readonly max: string }
  | {
      readonly t: "lex";
      readonly key: string;
      readonly min: Buffer;
      readonly max: Buffer;
      readonly scan: LexScan;
    }
  | { readonly t: "lexs"; readonly key: string; readonly needle: string; readonly scan: LexScan }
  /** A string lookup on a field without lex indexes: every instance's value compared. */
  | { readonly t: "scan"; readonly scan: LexScan }
  | { readonly t: "part"; readonly key: string; readonly position: number; readonly part: string }
  | { readonly t: "keys"; readonly keys: readonly string[] }
  | {
      readonly t: "geo";
      readonly key: string;
      readonly longitude: number;
      readonly latitude: number;
      readonly member: string | undefined;
      readonly radius: number;
      readonly unit: GeoUnit;
    }
  | {
      /** Instances whose relationship is null: the None set, plus those whose stored value is nil. */
      readonly t: "nulls";
      readonly key: string;
      readonly classKey: string;
      readonly field: string;
    }
  | { readonly t: "and"; readonly c: readonly PlanNode[] }
  | { readonly t: "or"; readonly c: readonly PlanNode[] }
  | { readonly t: "diff"; readonly a: PlanNode; readonly b: readonly PlanNode[] }
  | { readonly t: "none" };

const NONE: PlanNode = { t: "none" };

/** Union, simplified: no inputs is nothing, one input is itself. */
export const union = (nodes: readonly PlanNode[]): PlanNode => {
  const useful = nodes.filter((n) => n.t !== "none");
  return useful.length === 0 ? NONE : useful.length === 1 ? (useful[0] as PlanNode) : { t: "or", c: useful };
};

/** Intersection, simplified: one input is itself; an empty input empties it. */
export const intersect = (nodes: readonly PlanNode[]): PlanNode =>
  nodes.some((n) => n.t === "none")
    ? NONE
    : nodes.length === 1
      ? (nodes[0] as PlanNode)
      : { t: "and", c: nodes };

const queryValue = (meta: ModelMeta, spec: FieldSpec, lookup: Lookup, value: unknown): unknown => {
  // Popoto renders lookup values like stored values, so `str_key: 1` matches the stored "1".
  if (spec.type === "string" && (typeof value === "number" || typeof value === "boolean"))
    return typeof value === "boolean" ? (value ? "True" : "False") : String(value);
  const result = coerceValue(spec.type, value);
  if (!result.ok)
    throw new QueryError(
      meta.name,
      `${lookup.source} expects ${result.expected}, received ${formatValue(value)}.`,
      lookup.field,
    );
  return result.value;
};

const listValue = (meta: ModelMeta, lookup: Lookup): readonly unknown[] => {
  if (!Array.isArray(lookup.value))
    throw new QueryError(
      meta.name,
      `${lookup.source} expects an array of values, received ${formatValue(lookup.value)}.`,
      lookup.field,
    );
  return lookup.value;
};

const stringValue = (meta: ModelMeta, lookup: Lookup): string => {
  if (typeof lookup.value !== "string")
    throw new QueryError(
      meta.name,
      `${lookup.source} expects a string, received ${formatValue(lookup.value)}.`,
      lookup.field,
    );
  return lookup.value;
};

const booleanValue = (meta: ModelMeta, lookup: Lookup): boolean => {
  if (typeof lookup.value !== "boolean")
    throw new QueryError(
      meta.name,
      `${lookup.source} must be true or false, received ${formatValue(lookup.value)}.`,
      lookup.field,
    );
  return lookup.value;
};

/**
 * How query.lua answers a string lookup when the lex index is incomplete (instances written by a
 * client that does not keep it): compare each instance's value, read from its key (`position`,
 * 1-based after the model) or its hash (`field`).
 */
export interface LexScan {
  readonly classKey: string;
  readonly noneKey: string;
  readonly position: number;
  readonly field: string;
  readonly mode: "prefix" | "suffix" | "contains";
  readonly needle: string;
}

/** Lex range of every member whose value starts with `prefix` (0xFF never occurs in UTF-8). */
const prefixRange = (key: string, prefix: string, scan: LexScan): PlanNode => {
  const escaped = Buffer.from(prefix.replaceAll("\0", "\0\x01"), "utf8");
  return {
    t: "lex",
    key,
    min: Buffer.concat([Buffer.from("["), escaped]),
    max: Buffer.concat([Buffer.from("("), escaped, Buffer.from([0xff])]),
    scan,
  };
};

/**
 * Exact, `__in` and `__isnull` on a field indexed by one set per value (`setFor(null)` is the
 * `None` set): a set, a union of sets, or the class set minus the None set.
 */
function setLookupNode(meta: ModelMeta, lookup: Lookup, setFor: (value: unknown) => PlanNode): PlanNode {
  switch (lookup.op) {
    case "":
      return setFor(lookup.value);
    case "in":
      return union(listValue(meta, lookup).map(setFor));
    case "isnull":
      // SDIFF: no set holds all non-null values, so take the class set minus the None set.
      return booleanValue(meta, lookup)
        ? setFor(null)
        : { t: "diff", a: { t: "set", key: classSet(meta) }, b: [setFor(null)] };
    default:
      throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
  }
}

function keyFieldNode(meta: ModelMeta, spec: FieldSpec, lookup: Lookup): PlanNode {
  const kind = spec.kind as ValueSetKind;
  // A value whose key part Popoto 0.8.3 spelled differently is looked up under every spelling.
  const setFor = (value: unknown): PlanNode =>
    value === null
      ? { t: "set", key: valueSet(meta, lookup.field, kind, "None") }
      : union(
          valuePartForms(spec.type as KeyType, queryValue(meta, spec, lookup, value)).map((part) => ({
            t: "set" as const,
            key: valueSet(meta, lookup.field, kind, part),
          })),
        );
  const scan = (mode: LexScan["mode"]): LexScan => ({
    classKey: classSet(meta),
    noneKey: valueSet(meta, lookup.field, kind, "None"),
    position: meta.keyFields.indexOf(lookup.field) + 1,
    field: lookup.field,
    mode,
    needle: stringValue(meta, lookup),
  });
  switch (lookup.op) {
    case "":
    case "in":
    case "isnull":
      return setLookupNode(meta, lookup, setFor);
    case "startswith":
    case "endswith":
    case "contains":
      if (!spec.lexIndex)
        return {
          t: "scan",
          scan: scan(
            lookup.op === "startswith" ? "prefix" : lookup.op === "endswith" ? "suffix" : "contains",
          ),
        };
      break;
    default:
      throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
  }
  switch (lookup.op) {
    case "startswith":
      return prefixRange(lexIndex(meta, lookup.field), stringValue(meta, lookup), scan("prefix"));
    case "endswith":
      return prefixRange(
        lexReverseIndex(meta, lookup.field),
        reverseString(stringValue(meta, lookup)),
        scan("suffix"),
      );
    case "contains":
      return {
        t: "lexs",
        key: lexIndex(meta, lookup.field),
        needle: stringValue(meta, lookup),
        scan: scan("contains"),
      };
    default:
      throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
  }
}

function autoKeyNode(meta: ModelMeta, spec: FieldSpec, lookup: Lookup): PlanNode {
  const position = meta.keyFields.indexOf(lookup.field) + 1;
  const nodeFor = (value: unknown): PlanNode => {
    const part = valuePart("string", queryValue(meta, spec, lookup, value));
    // The only key field: the instance key is known, so no index is read (AutoKeyField has none).
    if (meta.keyFields.length === 1) return { t: "keys", keys: [instanceKey(meta, [part])] };
    return { t: "part", key: classSet(meta), position, part };
  };
  return lookup.op === "in" ? union(listValue(meta, lookup).map(nodeFor)) : nodeFor(lookup.value);
}

/** Units a geo radius can be given in (Redis's, which are Popoto's). */
export type GeoUnit = "m" | "km" | "ft" | "mi";
const GEO_UNITS: readonly string[] = ["m", "km", "ft", "mi"];

/**
 * `location__within: { latitude, longitude, radius, unit }` or `{ member, radius, unit }` (centred
 * on another instance of the same geo index): GEOSEARCH, nearest first.
 */
function geoNode(meta: ModelMeta, lookup: Lookup): PlanNode {
  const value = lookup.value as Record<string, unknown> | null;
  const fail = (why: string): never => {
    throw new QueryError(meta.name, `${lookup.source} ${why}`, lookup.field);
  };
  if (value === null || typeof value !== "object")
    fail("expects { latitude, longitude, radius, unit } or { member, radius, unit }.");
  const radius = value?.["radius"];
  const unit = value?.["unit"] ?? "m";
  if (typeof radius !== "number" || !Number.isFinite(radius) || radius < 0)
    fail(`needs a radius (a number of at least 0), received ${formatValue(radius)}.`);
  if (typeof unit !== "string" || !GEO_UNITS.includes(unit))
    fail(`unit must be one of m, km, ft, mi, received ${formatValue(unit)}.`);
  const base = {
    t: "geo" as const,
    key: geoSet(meta, lookup.field),
    radius: radius as number,
    unit: unit as GeoUnit,
  };
  if (value && "member" in value) {
    const member = relatedKeyOf(value["member"]);
    if (member === undefined) fail("member must be an instance or an instance key.");
    return { ...base, member, longitude: 0, latitude: 0 };
  }
  const latitude = value?.["latitude"];
  const longitude = value?.["longitude"];
  if (
    typeof latitude !== "number" ||
    typeof longitude !== "number" ||
    !Number.isFinite(latitude) ||
    !Number.isFinite(longitude)
  )
    fail("needs a centre: numeric latitude and longitude, or a member.");
  return { ...base, member: undefined, latitude: latitude as number, longitude: longitude as number };
}

const formatScore = (score: number): string => (Object.is(score, -0) ? "0" : String(score));

interface Bounds {
  min: string;
  max: string;
}

function sortedNode(meta: ModelMeta, spec: FieldSpec, lookups: readonly Lookup[], key: string): PlanNode {
  const score = (lookup: Lookup, value: unknown): number =>
    toScore(spec.type as SortedType, queryValue(meta, spec, lookup, value));
  const nodes: PlanNode[] = [];
  let bounds: Bounds | undefined;
  // Several range lookups on one field narrow one range, so Redis can still order and page it.
  const narrow = (min: [number, boolean] | undefined, max: [number, boolean] | undefined): void => {
    const current = bounds ?? { min: "-inf", max: "+inf" };
    const parse = (bound: string): [number, boolean] =>
      bound.startsWith("(") ? [Number(bound.slice(1)), true] : [Number(bound), false];
    if (min) {
      const [value, open] = min;
      const [old, oldOpen] = parse(current.min);
      if (current.min === "-inf" || value > old || (value === old && open && !oldOpen))
        current.min = `${open ? "(" : ""}${formatScore(value)}`;
    }
    if (max) {
      const [value, open] = max;
      const [old, oldOpen] = parse(current.max);
      if (current.max === "+inf" || value < old || (value === old && open && !oldOpen))
        current.max = `${open ? "(" : ""}${formatScore(value)}`;
    }
    bounds = current;
  };
  for (const lookup of lookups) {
    switch (lookup.op) {
      case "": {
        const s = score(lookup, lookup.value);
        narrow([s, false], [s, false]);
        break;
      }
      case "gt":
        narrow([score(lookup, lookup.value), true], undefined);
        break;
      case "gte":
        narrow([score(lookup, lookup.value), false], undefined);
        break;
      case "lt":
        narrow(undefined, [score(lookup, lookup.value), true]);
        break;
      case "lte":
        narrow(undefined, [score(lookup, lookup.value), false]);
        break;
      case "between": {
        const pair = lookup.value;
        if (!Array.isArray(pair) || pair.length !== 2)
          throw new QueryError(
            meta.name,
            `${lookup.source} expects [low, high] (both inclusive), received ${formatValue(pair)}.`,
            lookup.field,
          );
        narrow([score(lookup, pair[0]), false], [score(lookup, pair[1]), false]);
        break;
      }
      case "in":
        nodes.push(
          union(
            listValue(meta, lookup).map((v) => {
              const s = formatScore(score(lookup, v));
              return { t: "zr", key, min: s, max: s };
            }),
          ),
        );
        break;
      default:
        throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
    }
  }
  if (bounds) nodes.unshift({ t: "zr", key, min: bounds.min, max: bounds.max });
  return intersect(nodes);
}

/** The partition parts of a sorted field, from equality lookups in the same filter. */
function partitionParts(
  meta: ModelMeta,
  spec: FieldSpec,
  field: string,
  lookups: readonly Lookup[],
): string[] {
  return spec.partitionBy.map((name) => {
    const given = lookups.find((l) => l.field === name && l.op === "" && l.path.length === 0);
    if (!given)
      throw new QueryError(
        meta.name,
        `${field} is sorted within partitions of ${spec.partitionBy.join(", ")}; the filter must also give ` +
          `${name} by equality, e.g. { ${name}: … }.`,
        field,
      );
    const partitionSpec = meta.fields.get(name) as FieldSpec;
    if (partitionSpec.kind === "relationship") return relatedPartitionPart(relatedKeyOf(given.value) ?? null);
    return given.value === null
      ? "None"
      : valuePart(partitionSpec.type as KeyType, queryValue(meta, partitionSpec, given, given.value));
  });
}

/** The sorted set a sorted field reads for this filter (its partition chosen by the filter's equalities). */
export const sortedSetFor = (meta: ModelMeta, field: string, lookups: readonly Lookup[]): string => {
  const spec = meta.fields.get(field) as FieldSpec;
  return sortedSet(meta, field, partitionParts(meta, spec, field, lookups), spec.kind === "sortedKey");
};

function relationshipNode(meta: ModelMeta, lookup: Lookup): PlanNode {
  const setFor = (value: unknown): PlanNode => {
    // Popoto never adds to the None set, so rows it wrote are found by their stored nil as well.
    if (value === null)
      return {
        t: "nulls",
        key: relationshipSet(meta, lookup.field, null),
        classKey: classSet(meta),
        field: lookup.field,
      };
    const related = checkRelated(meta, lookup.field, meta.fields.get(lookup.field) as FieldSpec, value);
    if (!related.ok)
      throw new QueryError(meta.name, `${lookup.source}: ${related.message} (or null).`, lookup.field);
    return { t: "set", key: relationshipSet(meta, lookup.field, related.key) };
  };
  return setLookupNode(meta, lookup, setFor);
}

/**
 * The sets of the composite indexes whose every field the filter gives by equality (wider indexes
 * first; a lookup serves one index), adding the lookups they answer to `consumed`.
 */
function compositeNodes(meta: ModelMeta, direct: readonly Lookup[], consumed: Set<Lookup>): PlanNode[] {
  const nodes: PlanNode[] = [];
  const widest = [...meta.compositeIndexes].sort((a, b) => b.fields.length - a.fields.length);
  for (const index of widest) {
    const given = index.fields.map((name) =>
      direct.find((l) => l.field === name && l.op === "" && !consumed.has(l)),
    );
    if (given.some((l) => l === undefined)) continue;
    const parts = (given as Lookup[]).map((lookup) => {
      const spec = meta.fields.get(lookup.field) as FieldSpec;
      if (spec.kind === "relationship") {
        if (lookup.value === null) return relatedPartitionPart(null);
        const related = checkRelated(meta, lookup.field, spec, lookup.value);
        if (!related.ok)
          throw new QueryError(meta.name, `${lookup.source}: ${related.message} (or null).`, lookup.field);
        return relatedPartitionPart(related.key);
      }
      return lookup.value === null
        ? "None"
        : valuePart(spec.type as KeyType, queryValue(meta, spec, lookup, lookup.value));
    });
    for (const lookup of given as Lookup[]) consumed.add(lookup);
    nodes.push({ t: "set", key: compositeSet(meta, index.fields, parts) });
  }
  return nodes;
}

/**
 * `tags__contains: t` is the tag's set; `tags__any: [...]` their union, `tags__all: [...]` their
 * intersection. An empty list matches nothing, as in Popoto.
 */
function tagNode(meta: ModelMeta, lookup: Lookup): PlanNode {
  const setFor = (tag: unknown): PlanNode => {
    if (typeof tag !== "string")
      throw new QueryError(
        meta.name,
        `${lookup.source} expects tags (strings), received ${formatValue(tag)}.`,
        lookup.field,
      );
    return { t: "set", key: tagSet(meta, lookup.field, tag) };
  };
  switch (lookup.op) {
    case "contains":
      return setFor(lookup.value);
    case "any":
      return union(listValue(meta, lookup).map(setFor));
    case "all": {
      const sets = [...new Set(listValue(meta, lookup))].map(setFor);
      return sets.length === 0 ? NONE : intersect(sets);
    }
    default:
      throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
  }
}

/**
 * The node for a filter's lookups on one model (AND of all of them). Relationship traversals
 * (`path` not empty) must already be resolved into key lists by the caller.
 */
export function planLookups(meta: ModelMeta, lookups: readonly Lookup[]): PlanNode {
  const direct = lookups.filter((l) => l.path.length === 0);
  const nodes: PlanNode[] = [];
  const consumed = new Set<Lookup>();
  // Composite indexes first: one set answers all of an index's equalities, which it consumes.
  nodes.push(...compositeNodes(meta, direct, consumed));
  // Sorted fields next: each reads its partition values from the equalities, which it consumes.
  const sortedFields = [
    ...new Set(direct.filter((l) => isSorted(meta, l.field) && !consumed.has(l)).map((l) => l.field)),
  ];
  for (const field of sortedFields) {
    const spec = meta.fields.get(field) as FieldSpec;
    const own = direct.filter((l) => l.field === field && !consumed.has(l));
    const key = sortedSetFor(meta, field, direct);
    for (const name of spec.partitionBy) {
      for (const l of direct) if (l.field === name && l.op === "") consumed.add(l);
    }
    own.forEach((l) => consumed.add(l));
    nodes.push(sortedNode(meta, spec, own, key));
  }
  for (const lookup of direct) {
    if (consumed.has(lookup)) continue;
    const spec = meta.fields.get(lookup.field) as FieldSpec;
    if (spec.kind === "key" || spec.kind === "uniqueKey" || spec.kind === "indexed" || spec.kind === "unique")
      nodes.push(keyFieldNode(meta, spec, lookup));
    else if (spec.kind === "geo") nodes.push(geoNode(meta, lookup));
    else if (spec.kind === "autoKey") nodes.push(autoKeyNode(meta, spec, lookup));
    else if (spec.kind === "relationship") nodes.push(relationshipNode(meta, lookup));
    else if (spec.kind === "tag") nodes.push(tagNode(meta, lookup));
    else if (spec.kind === "plain") nodes.push(partitionNode(meta, lookup, direct));
    // A sorted field's lookups were consumed above.
  }
  return nodes.length === 0 ? { t: "set", key: classSet(meta) } : intersect(nodes);
}

/**
 * Equality on a plain field that partitions a sorted field: every instance with that value is in
 * the partition's sorted set (sorted fields are never null), so the whole set is the answer.
 */
function partitionNode(meta: ModelMeta, lookup: Lookup, lookups: readonly Lookup[]): PlanNode {
  for (const [field, spec] of meta.fields) {
    if (!spec.partitionBy.includes(lookup.field)) continue;
    try {
      return { t: "zr", key: sortedSetFor(meta, field, lookups), min: "-inf", max: "+inf" };
    } catch {
      // another partition field of this sorted field is missing; try the next sorted field
    }
  }
  throw new QueryError(
    meta.name,
    `${meta.name}.${lookup.field} is a plain field that partitions a sorted field; give every partition field of ` +
      `that sorted field by equality, or declare ${lookup.field} as an IndexedField to filter it alone.`,
    lookup.field,
  );
}

const isSorted = (meta: ModelMeta, field: string): boolean => {
  const kind = meta.fields.get(field)?.kind;
  return kind === "sorted" || kind === "sortedKey";
};
