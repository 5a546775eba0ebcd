/**
 * `popoto reshard <Model> --shards N`: moves a sharded model's instances to N buckets online
 * (src/shards/reshard.ts), with a progress line on a terminal. Ctrl-C stops it between batches;
 * running it again with the same N resumes.
 */
import { reshard, type ReshardResult } from "../../shards/reshard.js";
import { formatTable } from "../table.js";
import type { CommandContext, CommandResult } from "./context.js";

export async function reshardCommand(
  { models, progress }: CommandContext,
  options: { readonly shards: number; readonly batchSize?: number | undefined },
): Promise<CommandResult> {
  const results: ReshardResult[] = [];
  const stop = new AbortController();
  const interrupt = (): void => stop.abort();
  process.once("SIGINT", interrupt);
  try {
    for (const model of models) {
      const draw = progress.model(model.modelName);
      results.push(
        await reshard(model.meta, {
          shards: options.shards,
          batchSize: options.batchSize,
          signal: stop.signal,
          onProgress: (p) =>
            draw(`bucket ${p.bucket + 1}/${p.buckets} moved ${p.moved}, read`, p.scanned, p.total),
        }),
      );
    }
  } finally {
    process.off("SIGINT", interrupt);
  }
  progress.clear();
  const unfinished = results.filter((r) => !r.complete);
  const lines = [
    formatTable(
      ["model", "from", "to", "moved", "read", "purged", "state"],
      results.map((r) => [
        r.model,
        r.from,
        r.to,
        r.moved,
        r.scanned,
        r.purged,
        r.complete
          ? r.from === r.to
            ? "nothing to move"
            : r.resumed
              ? "done (resumed)"
              : "done"
          : "stopped",
      ]),
    ),
    "",
    unfinished.length > 0
      ? `Stopped before the end: run popoto reshard again with --shards ${options.shards} to resume.`
      : `Every instance is in its bucket of the new layout. Declare shards: ${options.shards} in the model's code.`,
  ];
  return {
    exitCode: unfinished.length > 0 ? 1 : 0,
    text: lines.join("\n"),
    json: { command: "reshard", ok: unfinished.length === 0, models: results },
  };
}
