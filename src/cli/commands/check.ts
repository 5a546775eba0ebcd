/**
 * `popoto check`: compares every index of each model with its hashes and reports the differences.
 */
import type { IndexDifference, IndexReport, MaintenanceOptions } from "../../maintenance/indexes.js";
import { instanceCount } from "../instance-count.js";
import { formatTable, printable } from "../table.js";
import type { CommandContext, CommandResult } from "./context.js";

/** Differences (and damaged keys) listed per model in the text output; `--json` lists up to `--max-listed`. */
export const DETAIL_LIMIT = 20;

/** One model's check, with the differences counted by kind. */
export interface CheckSummary extends IndexReport {
  readonly missing: number;
  readonly stale: number;
  readonly score: number;
}

const summarize = (report: IndexReport): CheckSummary => ({
  ...report,
  missing: report.counts.missing,
  stale: report.counts.stale,
  score: report.counts.score,
});

const scoreNote = (d: IndexDifference): string => {
  if (d.kind === "score") return `score ${d.actual ?? "?"}, expected ${d.expected ?? "?"}`;
  if (d.kind === "missing") return d.expected === undefined ? "" : `score ${d.expected}`;
  return d.actual === undefined ? "" : `score ${d.actual}`;
};

/** `  … and 12 more <what> (--json lists up to --max-listed)` when a list shows fewer than its count. */
const more = (shown: number, total: number, what: string): string[] =>
  total > shown ? [`  … and ${total - shown} more${what} (--json lists up to --max-listed of them)`] : [];

const details = (report: CheckSummary): string[] => {
  const { counts } = report;
  const differences = counts.missing + counts.stale + counts.score;
  if (differences + counts.misplaced + counts.corrupt + counts.wrongType === 0) return [];
  const lines = [
    "",
    `${report.model}: ${differences} difference(s), ${counts.corrupt} corrupt row(s), ` +
      `${counts.wrongType} wrong-typed key(s), ${counts.misplaced} misplaced hash(es)`,
  ];
  const shown = report.differences.slice(0, DETAIL_LIMIT);
  const rows = shown.map((d) => [d.kind, printable(d.index), printable(d.member), scoreNote(d)]);
  if (rows.length > 0)
    lines.push(
      ...formatTable(["kind", "index", "member", ""], rows)
        .split("\n")
        .map((line) => `  ${line}`.trimEnd()),
    );
  lines.push(...more(shown.length, differences, ""));
  const misplaced = report.misplaced.slice(0, DETAIL_LIMIT);
  for (const key of misplaced)
    lines.push(`  misplaced  ${printable(key)}  (its values make another key; left alone)`);
  lines.push(...more(misplaced.length, counts.misplaced, " misplaced"));
  const corrupt = report.corrupt.slice(0, DETAIL_LIMIT);
  for (const row of corrupt)
    lines.push(`  corrupt    ${printable(row.key)}  field "${printable(row.field)}" does not decode`);
  lines.push(...more(corrupt.length, counts.corrupt, " corrupt"));
  const wrong = report.wrongType.slice(0, DETAIL_LIMIT);
  for (const key of wrong)
    lines.push(
      `  wrongtype  ${printable(key.key)}  holds a ${key.actual}, popoto keeps a ${key.expected} here`,
    );
  lines.push(...more(wrong.length, counts.wrongType, " wrong-typed"));
  return lines;
};

const clean = (r: IndexReport): boolean => Object.values(r.counts).every((n) => n === 0);

/** Runs `checkIndexes()` on each model; exit code 1 when any difference, damaged key or misplaced hash exists. */
export async function check(
  { models, progress, redis }: CommandContext,
  options: Pick<MaintenanceOptions, "batchSize" | "maxListed"> = {},
): Promise<CommandResult> {
  const reports: CheckSummary[] = [];
  for (const model of models) {
    const expected = await instanceCount(redis, model.meta);
    const report = await model.checkIndexes({
      ...options,
      onProgress: progress.model(model.modelName, expected),
    });
    reports.push(summarize(report));
  }
  progress.clear();
  const ok = reports.every(clean);
  const table = formatTable(
    ["model", "instances", "index keys", "entries", "missing", "stale", "score", "misplaced"],
    reports.map((r) => [
      r.model,
      r.instances,
      r.indexKeys,
      r.entries,
      r.missing,
      r.stale,
      r.score,
      r.counts.misplaced,
    ]),
  );
  const damaged = reports.some((r) => r.counts.corrupt > 0 || r.counts.wrongType > 0);
  const verdict = ok
    ? "All indexes match the hashes."
    : damaged
      ? "Some rows do not decode or some keys hold the wrong Redis type: `popoto rebuild` deletes wrong-typed " +
        "index keys and rebuilds them; `popoto clean --corrupt=quarantine` (or `--corrupt=delete`) moves corrupt rows aside."
      : reports.some((r) => r.missing + r.stale + r.score > 0)
        ? "Indexes disagree with the hashes: `popoto clean` removes stale entries and fixes scores, " +
          "`popoto rebuild` also adds missing entries."
        : "Indexes match, but some hashes are stored under a key their values do not make (repairs leave them alone).";
  return {
    exitCode: ok ? 0 : 1,
    text: [table, ...reports.flatMap(details), "", verdict].join("\n"),
    json: { command: "check", ok, models: reports },
  };
}
