/**
 * `query.update(values)`: writes the same values into every match, in batches of one pipeline
 * each. Each instance's write is its own write.lua call, atomic with its index entries: the new
 * entries are computed from the stored state that the script checks (as `save({ fields })`
 * does), so an instance changed meanwhile is read again and rewritten, and one deleted meanwhile
 * is passed over. Values are validated once, before anything is written. Instances are not
 * loaded and their hooks do not run: a set-based write, like SQL's UPDATE.
 */
import { NotSavedError, ValidationError, type ValidationIssue } from "../errors.js";
import type { ModelMeta } from "../model/meta.js";
import { partialIntent } from "../model/partial.js";
import { checkField, unknownFieldIssues } from "../model/values.js";
import { executeBulk, readSnapshots, type BulkOptions } from "../write/bulk.js";
import type { WriteIntent } from "../write/plan-write.js";

/** The canonical values an update writes; throws one ValidationError for every bad field. */
export function updateValues(meta: ModelMeta, values: unknown): Map<string, unknown> {
  if (values === null || typeof values !== "object" || Array.isArray(values))
    throw new ValidationError(
      meta.name,
      [
        {
          field: "(values)",
          expected: "an object of field values",
          received: values === null ? "null" : Array.isArray(values) ? "an array" : typeof values,
          message: 'update() takes an object of field values, e.g. { genre: "sf" }',
        },
      ],
      "updated",
    );
  const given = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
  const issues: ValidationIssue[] = unknownFieldIssues(meta, given);
  for (const field of Object.keys(given)) {
    if (meta.keyFields.includes(field))
      issues.push({
        field,
        expected: "a field that is not part of the instance key",
        received: "a key field",
        message:
          "is a key field; update() cannot change instance keys (many instances would move onto one key). " +
          "Load the instance and save() it to change its key",
      });
  }
  const updates = new Map<string, unknown>();
  for (const [field, value] of Object.entries(given)) {
    const spec = meta.fields.get(field);
    if (!spec || meta.keyFields.includes(field)) continue;
    const result = checkField(meta, spec, field, value, issues);
    if (result.ok) updates.set(field, result.value);
  }
  if (issues.length > 0) throw new ValidationError(meta.name, issues, "updated");
  return updates;
}

/** Writes `updates` into the instances at `keys`; returns how many were written. */
export async function updateKeys(
  meta: ModelMeta,
  keys: readonly string[],
  updates: ReadonlyMap<string, unknown>,
  options: BulkOptions = {},
): Promise<number> {
  if (updates.size === 0) return 0;
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  let written = 0;
  for (let start = 0; start < keys.length; start += batchSize) {
    const batch = keys.slice(start, start + batchSize);
    // The indexed fields as stored: what the write assumes, and checks, before replacing entries.
    const snapshots = await readSnapshots(meta, batch);
    const intents: WriteIntent[] = [];
    batch.forEach((key, i) => {
      const snapshot = snapshots[i];
      if (snapshot) intents.push(partialIntent(meta, key, snapshot, updates).intent);
    });
    // An instance deleted after it matched has nothing left to update: it is not counted.
    const existed = await executeBulk(
      intents,
      { batchSize },
      undefined,
      (error) => error instanceof NotSavedError,
    );
    written += existed.filter(Boolean).length;
    options.onProgress?.(Math.min(start + batch.length, keys.length), keys.length);
  }
  return written;
}
