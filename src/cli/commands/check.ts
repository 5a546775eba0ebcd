/**
 * `popoto check`: compares every index of each model with its hashes and reports the differences.
 */
import type { IndexDifference, IndexReport } from "../../maintenance/indexes.js";
import { classSet } from "../../keys/keys.js";
import { formatTable, printable } from "../table.js";
import type { CommandContext, CommandResult } from "./context.js";

/** Differences (and misplaced keys) listed per model in the text output; `--json` lists all. */
export const DETAIL_LIMIT = 20;

/** One model's check, with the differences counted by kind. */
export interface CheckSummary extends IndexReport {
  readonly missing: number;
  readonly stale: number;
  readonly score: number;
}

const count = (report: IndexReport, kind: IndexDifference["kind"]): number =>
  report.differences.filter((d) => d.kind === kind).length;

const summarize = (report: IndexReport): CheckSummary => ({
  ...report,
  missing: count(report, "missing"),
  stale: count(report, "stale"),
  score: count(report, "score"),
});

const scoreNote = (d: IndexDifference): string => {
  if (d.kind === "score") return `score ${d.actual ?? "?"}, expected ${d.expected ?? "?"}`;
  if (d.kind === "missing") return d.expected === undefined ? "" : `score ${d.expected}`;
  return d.actual === undefined ? "" : `score ${d.actual}`;
};

const details = (report: CheckSummary): string[] => {
  const total =
    report.differences.length + report.misplaced.length + report.corrupt.length + report.wrongType.length;
  if (total === 0) return [];
  const lines = [
    "",
    `${report.model}: ${report.differences.length} difference(s), ${report.misplaced.length} misplaced hash(es)`,
  ];
  const rows = report.differences
    .slice(0, DETAIL_LIMIT)
    .map((d) => [d.kind, printable(d.index), printable(d.member), scoreNote(d)]);
  if (rows.length > 0)
    lines.push(
      ...formatTable(["kind", "index", "member", ""], rows)
        .split("\n")
        .map((line) => `  ${line}`.trimEnd()),
    );
  if (report.differences.length > DETAIL_LIMIT)
    lines.push(`  … and ${report.differences.length - DETAIL_LIMIT} more (--json lists them all)`);
  for (const key of report.misplaced.slice(0, DETAIL_LIMIT))
    lines.push(`  misplaced  ${printable(key)}  (its values make another key; left alone)`);
  for (const row of report.corrupt.slice(0, DETAIL_LIMIT))
    lines.push(`  corrupt    ${printable(row.key)}  field "${printable(row.field)}" does not decode`);
  for (const key of report.wrongType.slice(0, DETAIL_LIMIT))
    lines.push(
      `  wrongtype  ${printable(key.key)}  holds a ${key.actual}, popoto keeps a ${key.expected} here`,
    );
  if (report.misplaced.length > DETAIL_LIMIT)
    lines.push(`  … and ${report.misplaced.length - DETAIL_LIMIT} more misplaced (--json lists them all)`);
  return lines;
};

/** Runs `checkIndexes()` on each model; exit code 1 when any difference or misplaced hash exists. */
export async function check({ models, progress, redis }: CommandContext): Promise<CommandResult> {
  const reports: CheckSummary[] = [];
  for (const model of models) {
    const expected = await redis.scard(classSet(model.meta));
    const report = await model.checkIndexes({ onProgress: progress.model(model.modelName, expected) });
    reports.push(summarize(report));
  }
  progress.clear();
  const ok = reports.every(
    (r) =>
      r.differences.length === 0 &&
      r.misplaced.length === 0 &&
      r.corrupt.length === 0 &&
      r.wrongType.length === 0,
  );
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
      r.misplaced.length,
    ]),
  );
  const damaged = reports.some((r) => r.corrupt.length > 0 || r.wrongType.length > 0);
  const verdict = ok
    ? "All indexes match the hashes."
    : damaged
      ? "Some rows do not decode or some keys hold the wrong Redis type: `popoto rebuild` deletes wrong-typed " +
        "index keys and rebuilds them; `popoto clean --corrupt=quarantine` (or `--corrupt=delete`) moves corrupt rows aside."
      : reports.some((r) => r.differences.length > 0)
        ? "Indexes disagree with the hashes: `popoto clean` removes stale entries and fixes scores, " +
          "`popoto rebuild` also adds missing entries."
        : "Indexes match, but some hashes are stored under a key their values do not make (repairs leave them alone).";
  return {
    exitCode: ok ? 0 : 1,
    text: [table, ...reports.flatMap(details), "", verdict].join("\n"),
    json: { command: "check", ok, models: reports },
  };
}
