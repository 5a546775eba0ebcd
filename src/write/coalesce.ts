import { addDecimals } from "../encoding/decimal.js";
import type { FieldSpec } from "../fields/field.js";
import { decodeValue, encodeValue } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { executeCommute, rangeError } from "./execute-commute.js";
import { enqueue, latestState, noteState, type Settled } from "./key-queue.js";

/**
 * Commuting writes (increments, addRelated / removeRelated) queued in this process, coalesced:
 * while one is in flight on a key, those queued behind it for the same field and operation go as
 * one `commute.lua` call (the deltas added in order, the targets merged). They share the key's
 * queue with saves (src/write/key-queue.ts), so one process's writes to a row stay in order.
 */

/** After a commuting write: the lane's known state (for queued checked writes) takes the new bytes. */
const noteField = (key: string, field: string, bytes: Buffer): void => {
  const known = latestState(key);
  if (known) noteState(key, new Map(known).set(field, bytes));
};

/** An increment's result: the bytes stored right after this caller's delta, or "checked". */
export type IncrementResult = { readonly bytes: Buffer } | "checked";

/**
 * Adds `delta` (text: decimal digits, or a number's `String`) to a commuting numeric field, in
 * one script with the increments of the same field queued next to it. "checked": the stored
 * value is in a form only the checked write path computes with (nothing was written).
 */
export function queuedIncrement(
  meta: ModelMeta,
  key: string,
  field: string,
  delta: string,
): Promise<IncrementResult> {
  return enqueue(key, `incr\0${field}`, delta, (deltas) => runIncrements(meta, key, field, deltas));
}

async function runIncrements(
  meta: ModelMeta,
  key: string,
  field: string,
  deltas: string[],
): Promise<Settled<IncrementResult>[]> {
  const outcome = await executeCommute({ op: "incr", meta, key, field, deltas });
  if (outcome.status === "CHECKED") return deltas.map(() => ({ ok: true, value: "checked" }));
  if (outcome.status === "RANGE") {
    if (deltas.length === 1)
      return [{ ok: false, error: rangeError(meta, field, deltas[0] as string, outcome.sum) }];
    // One delta takes the sum out of range: each runs alone, so only that caller fails.
    const alone: Settled<IncrementResult>[] = [];
    for (const delta of deltas) {
      try {
        const [one] = await runIncrements(meta, key, field, [delta]);
        alone.push(one as Settled<IncrementResult>);
      } catch (error) {
        alone.push({ ok: false, error });
      }
    }
    return alone;
  }
  noteField(key, field, outcome.bytes);
  if (deltas.length === 1 || outcome.before === null) return deltas.map(() => ({ ok: true, value: outcome }));
  // Each caller sees the value right after its own delta, computed as the script did (doubles
  // added in the same order; decimals exactly).
  const spec = meta.fields.get(field) as FieldSpec;
  let value = decodeValue(meta, key, field, outcome.before);
  return deltas.map((delta, i) => {
    if (i === deltas.length - 1) return { ok: true, value: { bytes: outcome.bytes } };
    value = spec.type === "decimal" ? addDecimals(value as string, delta) : (value as number) + Number(delta);
    return { ok: true, value: { bytes: encodeValue(spec, value) } };
  });
}

/**
 * addRelated / removeRelated of `targets`, in one script with the same operation on the same
 * field queued next to it (their targets merged); returns the list's bytes after the script.
 */
export function queuedRelated(
  meta: ModelMeta,
  key: string,
  field: string,
  op: "add" | "remove",
  targets: readonly string[],
): Promise<Buffer> {
  return enqueue(key, `${op}\0${field}`, targets, async (lists) => {
    const merged = [...new Set(lists.flat())];
    const outcome = await executeCommute({ op, meta, key, field, targets: merged });
    if (outcome.status !== "OK") throw new Error(`popoto: commute.lua replied ${outcome.status} to ${op}`);
    noteField(key, field, outcome.bytes);
    return lists.map(() => ({ ok: true, value: outcome.bytes }));
  });
}
