/**
 * `popoto migrate`: builds each model's missing indexes, drops those no longer declared, and
 * records its schema fingerprint (src/schema/migrate.ts), with a progress line on a terminal.
 */
import { migrate, type MigrateResult } from "../../schema/migrate.js";
import { formatTable } from "../table.js";
import type { CommandContext, CommandResult } from "./context.js";

/**
 * Migrates each model in turn. Exit code 0 when every model is migrated; 1 when `--max-steps`
 * stopped one (run the command again to resume it). A sharded model is migrated bucket by bucket.
 */
export async function migrateCommand(
  { models, progress }: CommandContext,
  options: { readonly batchSize?: number | undefined; readonly maxSteps?: number | undefined } = {},
): Promise<CommandResult> {
  const results: MigrateResult[] = [];
  for (const model of models) {
    const onProgress = progress.model(model.modelName);
    results.push(
      await migrate(model.meta, {
        batchSize: options.batchSize,
        maxSteps: options.maxSteps,
        onProgress,
      }),
    );
  }
  progress.clear();
  const unfinished = results.filter((r) => !r.complete);
  const lines = [
    formatTable(
      ["model", "built", "dropped", "added", "removed", "state"],
      results.map((r) => [
        r.model,
        r.built.join(", ") || "-",
        r.dropped.join(", ") || "-",
        r.added,
        r.removed,
        r.complete ? (r.resumed ? "done (resumed)" : "done") : `stopped after ${r.steps} step(s)`,
      ]),
    ),
  ];
  lines.push(
    "",
    unfinished.length > 0
      ? `Stopped before the end (--max-steps): run popoto migrate again to resume ${unfinished.map((r) => r.model).join(", ")}.`
      : "Every index the models declare is built and recorded.",
  );
  return {
    exitCode: unfinished.length > 0 ? 1 : 0,
    text: lines.join("\n"),
    json: { command: "migrate", ok: unfinished.length === 0, models: results },
  };
}
