/**
 * `popoto clean` and `popoto rebuild`: repair each model's indexes and report what changed.
 */
import type { CorruptAction, RepairResult } from "../../maintenance/indexes.js";
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
  corrupt: CorruptAction = "report",
): Promise<CommandResult> {
  const results: RepairResult[] = [];
  for (const model of models) {
    const expected = await redis.scard(classSet(model.meta));
    const options = { onProgress: progress.model(model.modelName, expected), corrupt };
    results.push(await (command === "clean" ? model.cleanIndexes(options) : model.rebuildIndexes(options)));
  }
  progress.clear();
  const lines = [
    formatTable(
      ["model", "removed", "added", "purged", "misplaced"],
      results.map((r) => [r.model, r.removed, r.added, r.purged, r.misplaced.length]),
    ),
  ];
  for (const r of results) {
    for (const key of r.deletedKeys)
      lines.push(`${r.model}: deleted ${printable(key)} (the wrong Redis type for an index)`);
    for (const key of r.quarantined) lines.push(`${r.model}: quarantined ${printable(key)} (corrupt)`);
    for (const key of r.deleted) lines.push(`${r.model}: deleted ${printable(key)} (corrupt)`);
    for (const row of r.corrupt.filter((c) => !r.quarantined.includes(c.key) && !r.deleted.includes(c.key)))
      lines.push(
        `${r.model}: corrupt ${printable(row.key)} (field "${printable(row.field)}"), left alone: --corrupt=quarantine|delete`,
      );
  }
  for (const r of results.filter((result) => result.misplaced.length > 0)) {
    lines.push("", `${r.model}: hashes whose values make another key, left alone:`);
    lines.push(...r.misplaced.slice(0, DETAIL_LIMIT).map((key) => `  ${printable(key)}`));
    if (r.misplaced.length > DETAIL_LIMIT)
      lines.push(`  … and ${r.misplaced.length - DETAIL_LIMIT} more (--json lists them all)`);
  }
  const changed = results.reduce(
    (n, r) =>
      n + r.removed + r.added + r.purged + r.deletedKeys.length + r.quarantined.length + r.deleted.length,
    0,
  );
  lines.push("", changed === 0 ? "Nothing to repair." : `${command === "clean" ? "Cleaned" : "Rebuilt"}.`);
  return { exitCode: 0, text: lines.join("\n"), json: { command, models: results } };
}
