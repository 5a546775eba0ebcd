/**
 * Fan-out of a sharded model's queries (docs/storage.md §7a), the pure part: a plan is built once
 * on the `{Event#?}` stand-in bucket and copied to each bucket it must read, and the buckets a
 * filter can touch are chosen from its `shardBy` equality. Only `shardedKeys` touches Redis.
 */
import type { FieldSpec } from "../fields/field.js";
import type { KeyType } from "../fields/field-type.js";
import { inBucket, keyBody, toBucket, valuePart } from "../keys/keys.js";
import { bucketOfText } from "../keys/shards.js";
import type { ModelMeta } from "../model/meta.js";
import { checkRelated } from "../model/values.js";
import type { ServerOrder } from "./compile.js";
import type { Lookup } from "./lookup.js";
import type { LexScan, PlanNode } from "./plan.js";
import { runQuery } from "./stepwise.js";
import { dedupeByBody, phaseBuckets, withLayout } from "../shards/read-layout.js";

/** The stand-in view a sharded query is planned on (its keys carry `{Event#?}`). */
export const standIn = (meta: ModelMeta): ModelMeta => inBucket(meta, -1);

/** A plan built on the stand-in bucket, spelled for bucket `bucket`. */
export function nodeInBucket(meta: ModelMeta, node: PlanNode, bucket: number): PlanNode {
  const k = (key: string): string => toBucket(meta, key, bucket);
  const scan = (s: LexScan): LexScan => ({ ...s, classKey: k(s.classKey), noneKey: k(s.noneKey) });
  switch (node.t) {
    case "set":
    case "zr":
    case "part":
    case "geo":
      return { ...node, key: k(node.key) };
    case "lex":
    case "lexs":
      return { ...node, key: k(node.key), scan: scan(node.scan) };
    case "scan":
      return { ...node, scan: scan(node.scan) };
    case "nulls":
      return { ...node, key: k(node.key), classKey: k(node.classKey) };
    case "keys":
      return { ...node, keys: node.keys.map(k) };
    case "and":
    case "or":
      return { ...node, c: node.c.map((c) => nodeInBucket(meta, c, bucket)) };
    case "diff":
      return {
        ...node,
        a: nodeInBucket(meta, node.a, bucket),
        b: node.b.map((c) => nodeInBucket(meta, c, bucket)),
      };
    case "none":
      return node;
  }
}

/** A server order planned on the stand-in bucket, spelled for bucket `bucket`. */
export const orderInBucket = (
  meta: ModelMeta,
  order: ServerOrder | undefined,
  bucket: number,
): ServerOrder | undefined =>
  order?.by === "score" ? { ...order, key: toBucket(meta, order.key, bucket) } : order;

/**
 * The buckets a query reads: one per value when its filter gives the `shardBy` field by equality
 * or `__in` (the bucket that value's instances are in), else every bucket.
 */
export function queryBuckets(meta: ModelMeta, lookups: readonly Lookup[]): number[] {
  const all = Array.from({ length: meta.shards }, (_, b) => b);
  const by = meta.shardBy;
  if (by === undefined) return all;
  const spec = meta.fields.get(by) as FieldSpec;
  let chosen: Set<number> | undefined;
  for (const lookup of lookups) {
    if (lookup.field !== by || lookup.path.length > 0 || (lookup.op !== "" && lookup.op !== "in")) continue;
    const values = lookup.op === "in" ? lookup.value : [lookup.value];
    if (!Array.isArray(values)) continue;
    const buckets = new Set<number>();
    for (const value of values) {
      const bucket = bucketOfValue(meta, by, spec, value);
      if (bucket === undefined) return all; // a null or unreadable value: let the plan decide
      buckets.add(bucket);
    }
    chosen = chosen ? new Set([...chosen].filter((b) => buckets.has(b))) : buckets;
  }
  return chosen ? [...chosen].sort((a, b) => a - b) : all;
}

function bucketOfValue(meta: ModelMeta, field: string, spec: FieldSpec, value: unknown): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (spec.kind === "relationship") {
    const related = checkRelated(meta, field, spec, value);
    return related.ok ? bucketOfText(keyBody(related.key), meta.shards) : undefined;
  }
  try {
    return bucketOfText(valuePart(spec.type as KeyType, value), meta.shards);
  } catch {
    return undefined; // not a value of the field: the plan words the error
  }
}

/**
 * Every key a plan matches on a sharded model (a traversal's hop): each bucket of its stored layout
 * at once (while a reshard moves it, the old layout's buckets not yet emptied, then the new ones,
 * each instance once).
 */
export function shardedKeys(meta: ModelMeta, node: PlanNode): Promise<string[]> {
  return withLayout(meta, async (views) => {
    const phases: { key: string }[][] = [];
    for (const view of views) {
      const found = await Promise.all(
        phaseBuckets(
          view,
          Array.from({ length: view.shards }, (_, b) => b),
        ).map((b) =>
          runQuery(
            inBucket(view, b),
            { node: nodeInBucket(view, node, b), mode: "keys", exists: view.expiring },
            { kind: "keys" },
          ),
        ),
      );
      phases.push(found.flat());
    }
    return dedupeByBody(phases).map((row) => row.key);
  });
}
