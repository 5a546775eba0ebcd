/**
 * `popoto clean` and `popoto rebuild`: repair each model's indexes and report what changed.
 */
import type { RepairResult } from "../../maintenance/indexes.js";
import { classSet } from "../../keys/keys.js";
import { formatTable, printable } from "../table.js";
import { DETAIL_LIMIT } from "./check.js";
import type { CommandContext, CommandResult } from "./context.js";

/** The two repairs: `clean` removes stale entries and fixes scores; `rebuild` also adds missing entries. */
export type RepairCommand = "clean" | "rebuild";

/** Runs `cleanIndexes()` or `rebuildIndexes()` on each model; exit code 0. */
export async function repair(
  command: RepairCommand,
  { models, progress, redis }: CommandContext,
): Promise<CommandResult> {
  const results: RepairResult[] = [];
  for (const model of models) {
    const expected = await redis.scard(classSet(model.meta));
    const options = { onProgress: progress.model(model.modelName, expected) };
    results.push(await (command === "clean" ? model.cleanIndexes(options) : model.rebuildIndexes(options)));
  }
  progress.clear();
  const lines = [
    formatTable(
      ["model", "removed", "added", "purged", "misplaced"],
      results.map((r) => [r.model, r.removed, r.added, r.purged, r.misplaced.length]),
    ),
  ];
  for (const r of results.filter((result) => result.misplaced.length > 0)) {
    lines.push("", `${r.model}: hashes whose values make another key, left alone:`);
    lines.push(...r.misplaced.slice(0, DETAIL_LIMIT).map((key) => `  ${printable(key)}`));
    if (r.misplaced.length > DETAIL_LIMIT)
      lines.push(`  … and ${r.misplaced.length - DETAIL_LIMIT} more (--json lists them all)`);
  }
  const changed = results.reduce((n, r) => n + r.removed + r.added + r.purged, 0);
  lines.push("", changed === 0 ? "Nothing to repair." : `${command === "clean" ? "Cleaned" : "Rebuilt"}.`);
  return { exitCode: 0, text: lines.join("\n"), json: { command, models: results } };
}
