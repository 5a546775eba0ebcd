/**
 * Plain-text tables for the CLI's output, and the cell formatting they use.
 */

/** A table cell: text is left-aligned, numbers right-aligned. */
export type Cell = string | number;

/**
 * Aligned columns separated by two spaces, a header line first; no trailing spaces. A column is
 * right-aligned when `align` says so, else when every cell in it is a number.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  align?: readonly ("left" | "right")[],
): string {
  const text = rows.map((row) => row.map((cell) => (typeof cell === "number" ? String(cell) : cell)));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...text.map((row) => row[i]?.length ?? 0)),
  );
  const right = headers.map(
    (_, i) =>
      align?.[i] === "right" ||
      (align?.[i] === undefined && rows.length > 0 && rows.every((row) => typeof row[i] === "number")),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (right[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...text.map(line)].join("\n");
}

/** `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${units[unit] as string}`;
}

/** Control characters (lex index members hold `\0\0`) shown as `\xNN`, so a terminal prints them. */
export const printable = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
