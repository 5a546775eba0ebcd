/**
 * The public form of export and import (`popoto export` / `popoto import` use the same code): a
 * model's instances as JSON lines, and such lines written back through the normal write path.
 */
import type { ModelMeta } from "../model/meta.js";
import { exportModel, type ExportOptions } from "./export.js";
import { importLines, type ImportOptions, type ImportResult } from "./import.js";

/** A model class, as export and import take it. */
export interface TransferModel {
  readonly modelName: string;
  readonly meta: ModelMeta;
  new (values: Record<string, unknown>): object;
}

/**
 * Every instance of `model` as one JSON line each (no newline), read in batches of `batchSize`
 * (SSCAN of the class set, one pipeline of HGETALLs per batch). The format: docs/storage.md §10.
 * @example for await (const line of exportInstances(Book)) out.write(`${line}\n`);
 */
export function exportInstances(model: TransferModel, options?: ExportOptions): AsyncGenerator<string> {
  return exportModel(model.meta, options);
}

/**
 * Saves the instance of each line (as exported) through the normal write path, every index entry
 * included, `batchSize` lines per pipeline. A line that does not parse or validate is passed to
 * `onBadLine` with its number and nothing of it is written; the other lines go on.
 * @example await importInstances(readFileSync("books.jsonl", "utf8").split("\n"), [Book, Author]);
 */
export function importInstances(
  lines: AsyncIterable<string> | Iterable<string>,
  models: readonly TransferModel[],
  options?: ImportOptions,
): Promise<ImportResult> {
  const source = Symbol.asyncIterator in lines ? lines : toAsync(lines);
  return importLines(source, new Map(models.map((model) => [model.modelName, model])), options);
}

async function* toAsync(lines: Iterable<string>): AsyncGenerator<string> {
  yield* lines;
}

export type { ExportOptions, ImportOptions, ImportResult };
