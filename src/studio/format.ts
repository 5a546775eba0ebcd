/**
 * Stored values as text for the studio's pages: typed (dates as ISO instants, bytes as hex, sets
 * and lists as JSON), long ones folded, every one escaped by `html`.
 */
import { html, type SafeHtml } from "./html.js";
export { formatBytes as bytesText } from "../cli/table.js";

/** Values longer than this are folded (a summary line, the whole value on click). */
export const FOLD_AT = 80;

const json = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Set) return [...(v as Set<unknown>)];
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    return v;
  });

/** A decoded value as plain text; a `date` field's value as its day only. */
export function valueText(value: unknown, type?: string): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return "Invalid Date";
    return type === "date" ? value.toISOString().slice(0, 10) : value.toISOString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return json(value);
}

/** Shows text, folded behind a `<details>` when long; `pre` keeps newlines of the full value. */
export function folded(text: string, limit = FOLD_AT): SafeHtml {
  const oneLine = text.replace(/\s+/g, " ");
  if (text.length <= limit && oneLine === text) return html`<span class="v">${text}</span>`;
  return html`<details class="fold">
    <summary>
      ${oneLine.slice(0, limit)}${oneLine.length > limit ? "…" : ""}
      <span class="muted">(${text.length} chars)</span>
    </summary>
    <pre>${text}</pre>
  </details>`;
}

/**
 * A decoded value: `null` dimmed, `""` shown as such; in a table cell (`clip`) one line cut short
 * with the whole value as its tooltip, elsewhere folded when long.
 */
export function valueHtml(
  value: unknown,
  options: { readonly type?: string | undefined; readonly clip?: number | undefined } = {},
): SafeHtml {
  if (value === null || value === undefined) return html`<span class="null">null</span>`;
  if (value === "") return html`<span class="muted">""</span>`;
  const text = valueText(value, options.type);
  if (options.clip === undefined) return folded(text);
  const line = text.replace(/\s+/g, " ");
  return line.length <= options.clip
    ? html`<span class="v">${line}</span>`
    : html`<span class="v clip" title="${text}">${line.slice(0, options.clip)}…</span>`;
}

/** Raw bytes: hex on one line when short, else folded behind the first bytes with a full hex dump. */
export function bytesHtml(bytes: Buffer): SafeHtml {
  const hex = (b: Buffer): string => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
  if (bytes.length <= 20) return html`<code class="hex">${hex(bytes)}</code>`;
  return html`<details class="fold">
    <summary><code class="hex">${hex(bytes.subarray(0, 20))} …</code></summary>
    <pre>${hexDump(bytes)}</pre>
  </details>`;
}

/** Bytes as hex pairs with a printable-ASCII column, for raw hash values. */
export function hexDump(bytes: Buffer): string {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const chunk = bytes.subarray(at, at + 16);
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join("\n");
}

/** `1,234`. */
export const count = (n: number): string => n.toLocaleString("en-US");

/** Milliseconds as `1h 2m 3s`. */
export function durationText(ms: number): string {
  let s = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3_600],
    ["m", 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join(" ");
}
