import { addDecimals } from "../encoding/decimal.js";
import { decimalFromNumber, PLAIN_DECIMAL } from "../encoding/decimal.js";
import { coerceValue } from "../encoding/coerce.js";
import { deletedMeanwhile, PopotoError, ValidationError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import { executeQueued, isShadowSnapshot, type SaveResult } from "../write/execute-write.js";
import { indexEntries, uniqueSets } from "../write/index-entries.js";
import type { SaveContent, WriteIntent } from "../write/plan-write.js";
import { queuedIncrement } from "../write/coalesce.js";
import { commutingIncrement } from "../write/plan-commute.js";
import { decodeSnapshot, decodeValue, encodeValue, snapshotOf, type Snapshot } from "./hash.js";
import type { ModelMeta } from "./meta.js";
import { computeKey } from "./values.js";
import { dependentFields } from "../write/plan-save.js";

/**
 * What a partial write stores: only `updates` go to the hash, while the new key and every index
 * entry are computed from the stored state (the script re-checks it) with `updates` applied. Two
 * processes updating different fields of one instance therefore do not overwrite each other.
 */
function partialContent(
  meta: ModelMeta,
  key: string,
  assumed: Snapshot,
  updates: ReadonlyMap<string, unknown>,
): SaveContent {
  if (assumed === null || isShadowSnapshot(assumed)) throw deletedMeanwhile(meta, key);
  const values = decodeSnapshot(meta, key, assumed);
  for (const [field, value] of updates) values.set(field, value);
  // `assumed` holds every indexed field unless the write checks only those its entries depend on
  // (dependentFields): then no key field changed, and only the updated unique fields are checked.
  const limited = meta.keyFields.some((name) => !values.has(name));
  const newKey = limited ? key : computeKey(meta, values);
  return {
    newKey,
    hash: [...updates].map(
      ([field, value]) => [field, encodeValue(meta.fields.get(field) as FieldSpec, value)] as const,
    ),
    newEntries: indexEntries(meta, newKey, values),
    unique: uniqueSets(meta, values, newKey, limited ? new Set(updates.keys()) : undefined),
  };
}

/**
 * `save({ fields })` as a write intent: writes only these fields (validated canonical values) and
 * their index entries. `result()` gives the instance's new state once the write succeeded.
 */
export function partialIntent(
  meta: ModelMeta,
  key: string,
  expected: Snapshot,
  updates: ReadonlyMap<string, unknown>,
): { intent: WriteIntent; result: () => SaveResult } {
  let written: SaveContent | undefined;
  let finalState: Snapshot = expected;
  // The stored-state check covers only the fields the changed fields' entries depend on.
  const checkFields = dependentFields(meta, new Set(updates.keys()));
  const assumed =
    expected === null || checkFields === undefined
      ? expected
      : new Map(checkFields.map((name) => [name, expected.get(name)] as const));
  const intent: WriteIntent = {
    meta,
    kind: "update",
    oldKey: key,
    expected: assumed,
    checkFields,
    build: (assumed: Snapshot): SaveContent => {
      finalState = assumed;
      written = partialContent(meta, key, assumed, updates);
      return written;
    },
  };
  const result = (): SaveResult => {
    const content = written as SaveContent;
    const stored = new Map<string, Buffer>();
    // The fields the write did not check keep what this copy knew of them.
    for (const state of [expected, finalState])
      for (const [name, bytes] of state ?? []) {
        if (bytes) stored.set(name, bytes);
        else stored.delete(name);
      }
    for (const [name, bytes] of content.hash) stored.set(name, bytes);
    return { key: content.newKey, snapshot: snapshotOf(meta, stored) };
  };
  return { intent, result };
}

const NUMERIC = new Set(["int", "float", "decimal"]);

/**
 * Adds `delta` to a numeric field in Redis: the hash value and (for a sorted field) its score in
 * one atomic write, computed from the stored value. `guess` is the value the instance holds; when
 * it is right the increment costs one round trip.
 */
export async function incrementField(
  meta: ModelMeta,
  key: string,
  expected: Snapshot,
  field: string,
  delta: number | string,
  guess: unknown,
): Promise<{ value: unknown; snapshot: Snapshot; bytes: Buffer }> {
  const spec = meta.fields.get(field);
  if (!spec || !NUMERIC.has(spec.type) || spec.kind === "relationship")
    throw new ValidationError(meta.name, [
      {
        field,
        expected: "an int, float or decimal field",
        received: spec ? `a ${spec.type} field` : "an unknown field",
        message: "atomicIncrement() needs a numeric field (int, float or decimal)",
      },
    ]);
  const validDelta =
    spec.type === "int"
      ? Number.isSafeInteger(delta)
      : spec.type === "float"
        ? Number.isFinite(delta)
        : (typeof delta === "string" && PLAIN_DECIMAL.test(delta)) || Number.isFinite(delta);
  if (!validDelta)
    throw new ValidationError(meta.name, [
      {
        field,
        expected: spec.type === "int" ? "a safe integer delta" : "a finite delta",
        received: String(delta),
        message: `cannot add ${String(delta)} to a ${spec.type} field`,
      },
    ]);
  if (commutingIncrement(meta, field)) {
    const text =
      spec.type !== "decimal" ? String(delta) : typeof delta === "number" ? decimalFromNumber(delta) : delta;
    const done = await queuedIncrement(meta, key, field, text);
    if (done !== "checked") {
      const value = decodeValue(meta, key, field, done.bytes);
      const snapshot = expected === null ? null : new Map(expected);
      if (snapshot && meta.indexedFields.includes(field)) snapshot.set(field, done.bytes);
      return { value, snapshot, bytes: done.bytes };
    }
  }
  const checkFields = meta.indexedFields.includes(field)
    ? meta.indexedFields
    : [...meta.indexedFields, field];
  const assumedStart = new Map(expected ?? []);
  if (!meta.indexedFields.includes(field) && guess !== null && guess !== undefined)
    assumedStart.set(field, encodeValue(spec, guess));
  let result: unknown;
  let finalState: Snapshot = null;
  await executeQueued({
    meta,
    kind: "update",
    oldKey: key,
    expected: expected === null ? null : assumedStart,
    checkFields,
    build: (assumed) => {
      if (assumed === null || isShadowSnapshot(assumed)) throw deletedMeanwhile(meta, key);
      finalState = assumed;
      const stored = assumed.get(field);
      const current = decodeSnapshot(meta, key, new Map([[field, stored]])).get(field) ?? null;
      if (current === null)
        throw new PopotoError(
          "VALIDATION",
          `${meta.name}.${field} of ${key} is null; atomicIncrement() needs a number there.`,
          {
            model: meta.name,
          },
        );
      result =
        spec.type === "decimal"
          ? addDecimals(String(current), typeof delta === "number" ? decimalFromNumber(delta) : delta)
          : (current as number) + Number(delta);
      // The sum must still be a value of the field (a safe integer, a finite float).
      const checked = coerceValue(spec.type, result);
      if (!checked.ok)
        throw new ValidationError(meta.name, [
          {
            field,
            expected: checked.expected,
            received: String(result),
            message: `${String(current)} + ${String(delta)} = ${String(result)} is not a valid ${spec.type}; nothing was written`,
          },
        ]);
      return partialContent(meta, key, assumed, new Map([[field, result]]));
    },
  });
  const stored = new Map<string, Buffer>();
  for (const [name, bytes] of (finalState as Snapshot) ?? []) if (bytes) stored.set(name, bytes);
  const bytes = encodeValue(spec, result);
  stored.set(field, bytes);
  return { value: result, snapshot: snapshotOf(meta, stored), bytes };
}
