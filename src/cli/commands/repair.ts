/**
 * `popoto clean` and `popoto rebuild`: repair each model's indexes and report what changed.
 */
import type { RepairOptions, RepairResult } from "../../maintenance/indexes.js";
import { instanceCount } from "../instance-count.js";
import { formatTable, printable } from "../table.js";
import { DETAIL_LIMIT } from "./check.js";
import type { CommandContext, CommandResult } from "./context.js";

/** The two repairs: `clean` removes stale entries and fixes scores; `rebuild` also adds missing entries. */
export type RepairCommand = "clean" | "rebuild";

/** What a repair left in place, which a check afterwards would still report. */
const leftOver = (r: RepairResult): number => r.unresolved + r.damagedLeft + r.totals.misplaced;

const listed = (
  lines: string[],
  keys: readonly string[],
  total: number,
  line: (key: string) => string,
): void => {
  lines.push(...keys.slice(0, DETAIL_LIMIT).map(line));
  const shown = Math.min(keys.length, DETAIL_LIMIT);
  if (total > shown) lines.push(`  … and ${total - shown} more (--json lists up to --max-listed of them)`);
};

/**
 * Runs `cleanIndexes()` or `rebuildIndexes()` on each model. Exit code 0, or 1 when something it
 * could not repair is left (corrupt rows under `--corrupt=report`, misplaced hashes, differences
 * a concurrent write kept alive): each is named in the output.
 */
export async function repair(
  command: RepairCommand,
  { models, progress, redis }: CommandContext,
  options: Pick<RepairOptions, "corrupt" | "batchSize" | "maxListed"> = {},
): Promise<CommandResult> {
  const results: RepairResult[] = [];
  for (const model of models) {
    const expected = await instanceCount(redis, model.meta);
    const run = { ...options, onProgress: progress.model(model.modelName, expected) };
    results.push(await (command === "clean" ? model.cleanIndexes(run) : model.rebuildIndexes(run)));
  }
  progress.clear();
  const lines = [
    formatTable(
      ["model", "removed", "added", "purged", "misplaced"],
      results.map((r) => [r.model, r.removed, r.added, r.purged, r.totals.misplaced]),
    ),
  ];
  for (const r of results) {
    const moved = new Set([...r.quarantined, ...r.deleted]);
    const detail: string[] = [];
    listed(
      detail,
      r.deletedKeys,
      r.totals.deletedKeys,
      (key) => `  deleted ${printable(key)} (the wrong Redis type for an index)`,
    );
    listed(
      detail,
      r.quarantined,
      r.totals.quarantined,
      (key) => `  quarantined ${printable(key)} → $Quarantine:${printable(key)}`,
    );
    listed(detail, r.deleted, r.totals.deleted, (key) => `  deleted ${printable(key)} (corrupt)`);
    const left = [
      ...r.corrupt
        .filter((c) => !moved.has(c.key))
        .map((c) => `${printable(c.key)} (field "${printable(c.field)}" does not decode)`),
      ...r.wrongType
        .filter((w) => w.expected === "hash" && !moved.has(w.key))
        .map((w) => `${printable(w.key)} (holds a ${w.actual}, not a hash)`),
    ];
    listed(
      detail,
      left,
      r.damagedLeft,
      (what) => `  left alone: ${what}; --corrupt=quarantine or --corrupt=delete moves it`,
    );
    listed(
      detail,
      r.misplaced,
      r.totals.misplaced,
      (key) => `  left alone: ${printable(key)} (its values make another key)`,
    );
    if (r.unresolved > 0)
      detail.push(
        `  ${r.unresolved} difference(s) still hold after the repair (written meanwhile?): run it again`,
      );
    if (detail.length > 0) lines.push("", `${r.model}:`, ...detail);
  }
  const changed = results.reduce(
    (n, r) =>
      n + r.removed + r.added + r.purged + r.totals.deletedKeys + r.totals.quarantined + r.totals.deleted,
    0,
  );
  const left = results.reduce((n, r) => n + leftOver(r), 0);
  lines.push(
    "",
    `${changed === 0 ? "Nothing to repair." : `${command === "clean" ? "Cleaned" : "Rebuilt"}.`}` +
      (left > 0 ? ` ${left} item(s) left in place, listed above: popoto check will report them.` : ""),
  );
  return {
    exitCode: left > 0 ? 1 : 0,
    text: lines.join("\n"),
    json: { command, ok: left === 0, models: results },
  };
}
