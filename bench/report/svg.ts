/**
 * The chart of a run, drawn by hand: operations per second per workload for popoto and the
 * baseline, sequential and concurrent side by side, on a shared logarithmic axis.
 */
import type { Mode } from "../passes/types.js";
import type { Comparison } from "./compare.js";
import { shortNumber } from "./format.js";

const WIDTH = 1040;
const LABEL = 260;
const GAP = 48;
const TOP = 92;
const ROW = 32;
const BAR = 11;
const PANEL = (WIDTH - LABEL - GAP - 44) / 2;
const COLORS = { popoto: "#1971c2", baseline: "#adb5bd" } as const;
const MODES: readonly { mode: Mode; title: string }[] = [
  { mode: "sequential", title: "sequential (each operation awaited)" },
  { mode: "concurrent", title: "concurrent (64 in flight)" },
];

const escapeXml = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

const text = (x: number, y: number, content: string, attrs = ""): string =>
  `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(content)}</text>`;

export function chartSvg(comparisons: readonly Comparison[], subtitle: string): string {
  const ids = [...new Set(comparisons.map((c) => c.workload))];
  const values = comparisons.flatMap((c) => [c.popoto.opsPerSec, c.baseline.opsPerSec]).filter((v) => v > 0);
  const low = Math.floor(Math.log10(Math.min(...values, 10)));
  const high = Math.ceil(Math.log10(Math.max(...values, 100)));
  const height = TOP + ids.length * ROW + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ` +
      `font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    text(
      16,
      26,
      "Operations per second, popoto vs hand-written ioredis baseline (log scale, higher is better)",
      'font-size="15" font-weight="600"',
    ),
    text(16, 45, subtitle, 'fill="#495057"'),
    `<rect x="${LABEL}" y="${TOP - 38}" width="12" height="12" fill="${COLORS.popoto}"/>`,
    text(LABEL + 18, TOP - 28, "popoto"),
    `<rect x="${LABEL + 90}" y="${TOP - 38}" width="12" height="12" fill="${COLORS.baseline}"/>`,
    text(LABEL + 108, TOP - 28, "baseline (same layout, minimal commands)"),
  ];
  ids.forEach((id, row) => {
    const c = comparisons.find((x) => x.workload === id);
    const y = TOP + row * ROW;
    if (row % 2 === 0)
      out.push(`<rect x="8" y="${y - 4}" width="${WIDTH - 16}" height="${ROW}" fill="#f8f9fa"/>`);
    out.push(text(16, y + BAR + 4, `${id}. ${c?.name ?? ""}`));
  });
  MODES.forEach(({ mode, title }, panel) => {
    const left = LABEL + panel * (PANEL + GAP);
    const x = (value: number): number =>
      left + ((Math.log10(Math.max(value, 10 ** low)) - low) / (high - low)) * PANEL;
    out.push(text(left, TOP - 8, title, 'font-weight="600"'));
    for (let power = low; power <= high; power++) {
      const gx = x(10 ** power);
      out.push(
        `<line x1="${gx.toFixed(1)}" y1="${TOP - 4}" x2="${gx.toFixed(1)}" y2="${TOP + ids.length * ROW}" stroke="#dee2e6"/>`,
        text(
          gx,
          TOP + ids.length * ROW + 16,
          shortNumber(10 ** power),
          'text-anchor="middle" fill="#868e96"',
        ),
      );
    }
    ids.forEach((id, row) => {
      const c = comparisons.find((x) => x.workload === id && x.mode === mode);
      if (!c) return;
      const y = TOP + row * ROW;
      const bars = [
        { value: c.popoto.opsPerSec, color: COLORS.popoto, ink: "#ffffff", dy: 0 },
        { value: c.baseline.opsPerSec, color: COLORS.baseline, ink: "#212529", dy: BAR + 2 },
      ];
      for (const bar of bars) {
        const end = x(bar.value);
        out.push(
          `<rect x="${left}" y="${y + bar.dy}" width="${Math.max(1, end - left).toFixed(1)}" height="${BAR}" fill="${bar.color}"/>`,
        );
        const inside = end + 44 > left + PANEL;
        out.push(
          text(
            inside ? end - 3 : end + 3,
            y + bar.dy + BAR - 2,
            shortNumber(bar.value),
            `font-size="10" ${inside ? `text-anchor="end" fill="${bar.ink}"` : 'fill="#343a40"'}`,
          ),
        );
      }
      out.push(
        text(
          left + PANEL + 2,
          y + BAR + 4,
          `${c.ratio.toFixed(2)}x`,
          `font-size="10" fill="${c.meetsSpeed ? "#2b8a3e" : "#c92a2a"}"`,
        ),
      );
    });
  });
  out.push(
    text(
      LABEL,
      height - 8,
      "ops/s; the figure after each pair is popoto ÷ baseline (green: the target is met)",
      'fill="#868e96"',
    ),
    "</svg>",
  );
  return `${out.join("\n")}\n`;
}
