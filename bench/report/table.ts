/** A table as data, rendered for the terminal (aligned columns) or as markdown. */

export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Per column: left or right aligned. */
  readonly align: readonly ("l" | "r")[];
}

const pad = (text: string, width: number, align: "l" | "r"): string =>
  align === "r" ? text.padStart(width) : text.padEnd(width);

export function textTable(table: Table): string {
  const widths = table.headers.map((h, c) =>
    Math.max(h.length, ...table.rows.map((r) => (r[c] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => pad(cell, widths[c] ?? 0, table.align[c] ?? "l")).join("  ");
  return [line(table.headers), widths.map((w) => "-".repeat(w)).join("  "), ...table.rows.map(line)].join(
    "\n",
  );
}

export function markdownTable(table: Table): string {
  const escape = (cell: string): string => cell.replaceAll("|", "\\|");
  const line = (cells: readonly string[]): string => `| ${cells.map(escape).join(" | ")} |`;
  return [
    line(table.headers),
    `|${table.align.map((a) => (a === "r" ? " ---: " : " --- ")).join("|")}|`,
    ...table.rows.map(line),
  ].join("\n");
}
