/**
 * `popoto import`: export lines (docs/storage.md §10) written back through the normal write path.
 * Each line becomes the save of a fresh instance (validated like `create()`, written by the write
 * script with every index entry), sent in pipelines of a bounded number of lines. A line that
 * does not parse or validate is reported with its number and nothing of it is written; the other
 * lines go on.
 */
import { ValidationError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import { inLayout, slotGroup } from "../keys/keys.js";
import type { ModelMeta } from "../model/meta.js";
import { computeKey, unknownFieldIssues, validateForSave } from "../model/values.js";
import { executeBulk } from "../write/bulk.js";
import { saveIntent } from "../write/execute-write.js";
import type { WriteIntent } from "../write/plan-write.js";
import { fieldFromJson, JsonValueError, portableKey, type Json } from "./json-values.js";

/** A model class as import needs it: its meta, and its constructor (defaults, generated keys). */
export interface ImportModel {
  readonly meta: ModelMeta;
  new (values: Record<string, unknown>): object;
}

/** Why one line cannot be imported. */
export class BadLineError extends Error {
  override readonly name = "BadLineError";
}

/** A write of a batch failed in Redis (not a bad line): the import stops there. */
export class ImportWriteError extends Error {
  override readonly name = "ImportWriteError";
  constructor(
    readonly firstLine: number,
    readonly lastLine: number,
    cause: unknown,
  ) {
    super(
      `a write of lines ${firstLine}-${lastLine} failed, the import stopped there (the lines before ` +
        `were written; lines of that batch may be): ${(cause as Error).message}`,
      { cause },
    );
  }
}

const isObject = (json: unknown): json is Record<string, Json> =>
  typeof json === "object" && json !== null && !Array.isArray(json);

/**
 * The write of one line: parsed, decoded, validated and keyed, nothing sent. Throws BadLineError
 * saying what is wrong (the caller adds the line number); "skip" for a line of a model in
 * `skipModels`.
 */
export function planLine(
  models: ReadonlyMap<string, ImportModel>,
  text: string,
  skipModels: ReadonlySet<string> = new Set(),
): WriteIntent | "skip" {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new BadLineError(`not JSON (${(error as Error).message})`);
  }
  if (!isObject(json) || typeof json["model"] !== "string" || !isObject(json["values"]))
    throw new BadLineError(`expected {"model": "<Name>", "key": "<instance key>", "values": {…}}`);
  if (skipModels.has(json["model"])) return "skip";
  const model = models.get(json["model"]);
  if (model === undefined)
    throw new BadLineError(
      `unknown model "${json["model"]}" (the models module defines ${[...models.keys()].join(", ")})`,
    );
  const { meta } = model;
  const given = json["values"];
  const unknown = unknownFieldIssues(meta, given);
  if (unknown.length > 0) throw new BadLineError(new ValidationError(meta.name, unknown, "imported").message);
  const decoded: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    try {
      decoded[name] = fieldFromJson(meta.fields.get(name) as FieldSpec, value);
    } catch (error) {
      if (!(error instanceof JsonValueError)) throw error;
      throw new BadLineError(`${meta.name}.${name}: ${error.message}`);
    }
  }
  let values: Map<string, unknown>;
  try {
    // The constructor fills what a hand-written line leaves out (defaults, a generated auto key).
    values = validateForSave(meta, new model(decoded) as Record<string, unknown>);
  } catch (error) {
    if (error instanceof ValidationError) throw new BadLineError(error.message);
    throw error;
  }
  const key = computeKey(meta, values);
  const named = json["key"];
  if (named !== undefined && (typeof named !== "string" || inLayout(meta, named) !== key))
    throw new BadLineError(
      `"key" is ${JSON.stringify(named)} but the values give ${portableKey(key)}: the model's key fields changed ` +
        `since the export, or the line was edited (fix the values, or drop "key")`,
    );
  return saveIntent(meta, values, undefined, undefined).intent;
}

export interface ImportOptions {
  /** Lines per pipeline; default 500. */
  readonly batchSize?: number | undefined;
  /** Models whose lines are skipped (not imported, not reported as bad). */
  readonly skipModels?: ReadonlySet<string> | undefined;
  /** A bad line: its number (from 1) and what is wrong. Nothing of it was written. */
  readonly onBadLine?: ((line: number, message: string) => void) | undefined;
  /** After each batch: lines read and instances written so far. */
  readonly onProgress?: ((lines: number, written: number) => void) | undefined;
}

export interface ImportResult {
  readonly lines: number;
  readonly written: number;
  readonly skipped: number;
  readonly bad: number;
}

/** Imports every line of `source` (blank lines are skipped). Throws ImportWriteError when Redis refuses a write. */
export async function importLines(
  source: AsyncIterable<string>,
  models: ReadonlyMap<string, ImportModel>,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const batchSize = Math.max(1, options.batchSize ?? 500);
  let batch: WriteIntent[] = [];
  let first = 0;
  let lines = 0;
  let written = 0;
  let bad = 0;
  let skipped = 0;
  const flush = async (last: number): Promise<void> => {
    if (batch.length === 0) return;
    // One pipeline per model and slot: on a cluster a pipeline must stay in one slot, and every
    // key of a write is in its instance's slot: the model's (docs/storage.md §7), or its bucket's
    // for a sharded model (§7a).
    const bySlot = new Map<string, WriteIntent[]>();
    for (const intent of batch) {
      const slot = `${intent.meta.name}\u0000${slotGroup(intent.oldKey)}`;
      const group = bySlot.get(slot);
      if (group) group.push(intent);
      else bySlot.set(slot, [intent]);
    }
    try {
      for (const intents of bySlot.values()) await executeBulk(intents, { batchSize });
    } catch (error) {
      throw new ImportWriteError(first, last, error);
    }
    written += batch.length;
    batch = [];
    options.onProgress?.(lines, written);
  };
  for await (const text of source) {
    lines++;
    if (text.trim() === "") continue;
    let intent: WriteIntent | "skip";
    try {
      intent = planLine(models, text, options.skipModels);
    } catch (error) {
      if (!(error instanceof BadLineError)) throw error;
      bad++;
      options.onBadLine?.(lines, error.message);
      continue;
    }
    if (intent === "skip") {
      skipped++;
      continue;
    }
    if (batch.length === 0) first = lines;
    batch.push(intent);
    if (batch.length >= batchSize) await flush(lines);
  }
  await flush(lines);
  return { lines, written, skipped, bad };
}
