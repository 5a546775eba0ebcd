import { encodeMessage } from "../encoding/codec/encode.js";
import {
  changeStreamOf,
  forKey,
  indexValuesHash,
  modelEventsChannel,
  relationshipSet,
  sortedSet,
} from "../keys/keys.js";
import type { FieldSpec } from "../fields/field.js";
import type { ModelMeta } from "../model/meta.js";
import type { ScriptArg } from "../scripts/run-script.js";
import type { ModelEvent } from "./plan-write.js";

/** The `$Retired` set of the bucket a commuting write goes to, and the writer's layout count. */
export interface RetiredGuard {
  readonly set: string;
  readonly count: number;
}

/** A `commute.lua` call: data only, so a unit test can assert it and the executor can send it. */
export interface CommuteCall {
  readonly keys: readonly string[];
  readonly args: readonly ScriptArg[];
}

/**
 * Increments of an int, float or decimal field, computed in Redis from the stored bytes: the
 * deltas (as text: decimal digits, or a number's `String`) are added in order, so several queued
 * increments go as one script and give the same sum as one script each.
 */
export interface IncrementIntent {
  readonly op: "incr";
  /** A sharded model's write: its bucket's `$Retired` set must not hold this layout count. */
  readonly retired?: RetiredGuard | undefined;
  readonly meta: ModelMeta;
  readonly key: string;
  readonly field: string;
  readonly deltas: readonly string[];
}

/** addRelated / removeRelated: targets merged into the stored list in Redis. */
export interface RelatedIntent {
  readonly op: "add" | "remove";
  /** A sharded model's write: its bucket's `$Retired` set must not hold this layout count. */
  readonly retired?: RetiredGuard | undefined;
  readonly meta: ModelMeta;
  readonly key: string;
  readonly field: string;
  readonly targets: readonly string[];
}

export type CommuteIntent = IncrementIntent | RelatedIntent;

/**
 * Whether an increment of `field` can run in `commute.lua`: an int, float or decimal field whose
 * only index entry (if any) is an unpartitioned sorted set, where ZADD overwrites the score
 * whatever it was. Other fields (key fields, value sets, partitioned sorted fields) name their
 * entries by value and take the checked write path.
 */
export const commutingIncrement = (meta: ModelMeta, field: string): boolean => {
  const spec = meta.fields.get(field);
  if (!spec || (spec.type !== "int" && spec.type !== "float" && spec.type !== "decimal")) return false;
  // A composite index names its set (and `$Index` digest) by the value: the entry moves with it,
  // which only the write script computes.
  if (meta.compositeIndexes.some((index) => index.fields.includes(field))) return false;
  return spec.kind === "plain" || (spec.kind === "sorted" && spec.partitionBy.length === 0);
};

const eventArgs = (meta: ModelMeta, key: string, field: string): ScriptArg[] => {
  if (!meta.events) return [0];
  const event: ModelEvent = { model: meta.name, key, op: "save", fields: [field] };
  return [1, modelEventsChannel(meta), Buffer.from(encodeMessage(event))];
};

/** Plans one `commute.lua` call (see the script's header for the argument format). */
export function planCommute(intent: CommuteIntent): CommuteCall {
  const { meta, key, field } = intent;
  const spec = meta.fields.get(field) as FieldSpec;
  const keys: string[] = [key];
  const position = (k: string): number => keys.push(k);
  const shadow =
    meta.expiring && meta.indexedFields.includes(field) ? position(indexValuesHash(meta, key)) : 0;
  const args: ScriptArg[] = [intent.op, field, meta.ttl ?? 0, shadow];
  // A sharded model's index keys are spelled for the instance's bucket (its slot).
  const view = forKey(meta, key);
  if (intent.op === "incr") {
    const set = spec.kind === "sorted" ? position(sortedSet(view, field, [], false)) : 0;
    args.push(spec.type, set, intent.deltas.length, ...intent.deltas);
  } else {
    args.push(position(relationshipSet(view, field, null)), intent.targets.length);
    for (const target of intent.targets) args.push(target, position(relationshipSet(view, field, target)));
  }
  args.push(...eventArgs(meta, key, field));
  // The change feed (optional trailing section): the script appends the update once applied.
  if (meta.changes) args.push(1, position(changeStreamOf(meta, key)), meta.changes.maxLen, meta.name);
  // The retired guard (optional trailing section, after the change feed's, "0" when there is none).
  if (intent.retired) {
    if (!meta.changes) args.push(0);
    args.push(1, position(intent.retired.set), String(intent.retired.count));
  }
  return { keys, args };
}
