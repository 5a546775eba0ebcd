/**
 * `popoto repair`: finishes the deletes a crash interrupted. Each `$DeleteJournal:…` key names a
 * target whose delete sequence (cascade / setNull steps, docs/storage.md "Deletes in steps") did not
 * end; the delete is run again, reading what remains. Exit 1 when protect now refuses one.
 */
import type { ResumeReport } from "../../model/delete-resume.js";
import { formatTable, printable } from "../table.js";
import type { CommandContext, CommandResult } from "./context.js";

export async function finishDeletes({ models, progress }: CommandContext): Promise<CommandResult> {
  const reports: ResumeReport[] = [];
  for (const [i, model] of models.entries()) {
    progress.model(model.modelName)("journals", i, models.length);
    reports.push(await model.resumeDeletes());
  }
  progress.clear();
  const lines = [
    formatTable(
      ["model", "finished", "refused"],
      reports.map((r) => [r.model, r.resumed.length, r.refused.length]),
    ),
  ];
  for (const r of reports) {
    for (const key of r.resumed) lines.push(`${r.model}: finished the delete of ${printable(key)}`);
    for (const { key, message } of r.refused)
      lines.push(`${r.model}: ${printable(key)} not deleted: ${printable(message)}`);
  }
  const finished = reports.reduce((n, r) => n + r.resumed.length, 0);
  const refused = reports.reduce((n, r) => n + r.refused.length, 0);
  lines.push(
    "",
    finished + refused === 0 ? "No interrupted delete." : `Finished ${finished}, refused ${refused}.`,
  );
  return {
    exitCode: refused > 0 ? 1 : 0,
    text: lines.join("\n"),
    json: { command: "repair", models: reports },
  };
}
