/**
 * `popoto export` (JSON lines on stdout) and `popoto import` (JSON lines from stdin): the stream
 * commands. Unlike check/inspect they print no result table: stdout (export) is the data, and the
 * summary, bad lines and corrupt rows go to stderr.
 */
import { once } from "node:events";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { CliModel } from "../load-models.js";
import type { Progress } from "../progress.js";
import { exportModel } from "../../transfer/export.js";
import { importLines, ImportWriteError, type ImportModel } from "../../transfer/import.js";

/** Bad lines or corrupt rows reported one by one; beyond this many only their count. */
const REPORTED = 20;

export interface TransferContext {
  readonly models: readonly CliModel[];
  readonly progress: Progress;
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** Writes every instance of the models as JSON lines; 1 when corrupt rows were left out. */
export async function exportCommand(context: TransferContext): Promise<0 | 1> {
  const { stdout, stderr, progress } = context;
  let count = 0;
  let corrupt = 0;
  for (const model of context.models) {
    const show = progress.model(model.modelName);
    for await (const line of exportModel(model.meta, {
      onProgress: (done, total) => show("instances", done, total),
      onCorrupt: (error) => {
        corrupt++;
        if (corrupt <= REPORTED) {
          progress.clear();
          stderr.write(`popoto export: left out ${error.key}: ${error.message}\n`);
        }
      },
    })) {
      count++;
      // Back-pressure: wait for a slow reader (a pipe into gzip, a network copy) instead of buffering.
      if (!stdout.write(`${line}\n`)) await once(stdout, "drain");
    }
  }
  progress.clear();
  const extra = corrupt > 0 ? `; ${corrupt} corrupt row${corrupt === 1 ? "" : "s"} left out` : "";
  stderr.write(
    `popoto export: ${count} instance${count === 1 ? "" : "s"} of ${context.models.length} model(s)${extra}\n`,
  );
  return corrupt > 0 ? 1 : 0;
}

/**
 * Imports JSON lines from stdin. `all` are every model of the models module (a line of one outside
 * `context.models`, the --model selection, is skipped); 1 when bad lines were reported.
 */
export async function importCommand(context: TransferContext, all: readonly CliModel[]): Promise<0 | 1> {
  const { stderr, progress } = context;
  const chosen = new Set(context.models.map((model) => model.modelName));
  const models = new Map(all.map((model) => [model.modelName, model as unknown as ImportModel]));
  const skip = new Set(all.map((model) => model.modelName).filter((name) => !chosen.has(name)));
  const show = progress.model("import");
  const lines = createInterface({ input: context.stdin, crlfDelay: Infinity });
  let bad = 0;
  let result;
  try {
    result = await importLines(lines, models, {
      skipModels: skip,
      onProgress: (read, written) => show("lines", written, read),
      onBadLine: (line, message) => {
        bad++;
        if (bad > REPORTED) return;
        progress.clear();
        stderr.write(`popoto import: line ${line}: ${message}\n`);
      },
    });
  } catch (error) {
    if (error instanceof ImportWriteError) progress.clear();
    throw error;
  } finally {
    lines.close();
  }
  progress.clear();
  const more = bad > REPORTED ? ` (the first ${REPORTED} are shown)` : "";
  stderr.write(
    `popoto import: ${result.written} instance${result.written === 1 ? "" : "s"} written from ${result.lines} line(s)` +
      `${result.skipped > 0 ? `, ${result.skipped} of other models skipped` : ""}` +
      `${bad > 0 ? `, ${bad} bad line${bad === 1 ? "" : "s"} not written${more}` : ""}\n`,
  );
  return bad > 0 ? 1 : 0;
}
