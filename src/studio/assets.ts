/**
 * The studio's stylesheet and script, served as files (/static/…) so the content security policy
 * can forbid every inline script and style.
 */

/** Fills the index columns of the models table from /models/<name>/stats (text only, never markup). */
export const SCRIPT = `"use strict";
for (const row of document.querySelectorAll("tr[data-stats]")) {
  fetch(row.dataset.stats, { credentials: "same-origin", headers: { accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
    .then((stats) => {
      for (const cell of row.querySelectorAll("[data-stat]")) cell.textContent = String(stats[cell.dataset.stat] ?? "?");
      row.classList.add("measured");
    })
    .catch(() => {
      for (const cell of row.querySelectorAll("[data-stat]")) cell.textContent = "?";
    });
}
`;

export const STYLES = `:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #6b7385; --line: #e3e6ec; --soft: #f0f2f6;
  --accent: #c8372d; --accent-ink: #fff; --link: #1f5fbf; --ok: #1f8a4c; --warn: #b7791f; --bad: #c53030;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.5 var(--sans); }
a { color: var(--link); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .key a, td.key { font-family: var(--mono); font-size: 12.5px; }
pre { margin: 6px 0 0; white-space: pre-wrap; word-break: break-all; }
h1 { font-size: 22px; margin: 4px 0 14px; font-weight: 650; letter-spacing: -0.01em; }
h1.key-title { font-family: var(--mono); font-size: 19px; word-break: break-all; }
h2 { font-size: 13px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); margin: 0 0 12px; font-weight: 650; }
h3 { font-size: 14px; margin: 14px 0 6px; }
.top { display: flex; align-items: center; gap: 16px; height: 48px; padding: 0 20px; background: #161b26; color: #d8dce6; }
.brand { color: #fff; font-weight: 650; font-size: 15px; display: flex; align-items: center; gap: 8px; }
.brand:hover { text-decoration: none; }
.brand .thin { font-weight: 400; color: #aab2c4; margin-left: -4px; }
.logo { display: inline-grid; place-items: center; width: 24px; height: 24px; border-radius: 6px; background: var(--accent); color: #fff; font-weight: 700; }
.conn { font-family: var(--mono); font-size: 12px; color: #aab2c4; margin-left: auto; }
.mode { font-size: 11px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.05em; padding: 3px 8px; border-radius: 999px; }
.mode.ro { background: #2b3445; color: #c6cde0; }
.mode.write { background: #7a2e12; color: #ffd9c7; }
.shell { display: flex; min-height: calc(100vh - 48px); }
.side { width: 200px; flex: none; padding: 18px 12px; border-right: 1px solid var(--line); background: var(--panel); }
.side h2 { padding: 0 8px; }
.side ul { list-style: none; margin: 0; padding: 0; }
.side a { display: block; padding: 6px 8px; border-radius: 6px; color: var(--ink); }
.side a:hover { background: var(--soft); text-decoration: none; }
.side a.active { background: #fdecea; color: var(--accent); font-weight: 600; }
main { flex: 1; min-width: 0; padding: 18px 28px 40px; }
.crumbs { font-size: 12.5px; color: var(--muted); margin-bottom: 6px; }
.crumbs .sep { margin: 0 6px; color: #b5bccb; }
.lead { color: var(--muted); margin: -6px 0 16px; max-width: 760px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; margin-bottom: 16px; overflow-x: auto; }
.card > table.grid:first-child { margin: -16px -18px; width: calc(100% + 36px); }
table { border-collapse: collapse; }
table.grid { width: 100%; }
table.grid th { text-align: left; font-size: 12px; font-weight: 600; color: var(--muted); background: #fafbfc; border-bottom: 1px solid var(--line); padding: 9px 12px; white-space: nowrap; }
table.grid td { border-bottom: 1px solid var(--line); padding: 8px 12px; vertical-align: top; }
table.grid tbody tr:last-child td { border-bottom: none; }
table.grid tbody tr:hover td { background: #fafbff; }
table.compact td, table.compact th { padding: 6px 10px; }
table.grid tr.bad td { background: #fff5f5; }
table.grid tr.warn td { background: #fffaf0; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.sortable a { color: var(--ink); }
th.sortable .arrow { color: #b5bccb; font-size: 10px; }
th.sortable.asc .arrow, th.sortable.desc .arrow { color: var(--accent); }
td.empty { text-align: center; color: var(--muted); padding: 28px; }
td.key { white-space: nowrap; }
td.fields { max-width: 420px; }
td.actions { white-space: nowrap; text-align: right; }
.model-link { font-weight: 600; }
.chip { display: inline-block; font-size: 11.5px; font-family: var(--mono); padding: 1px 7px; margin: 1px 3px 1px 0; border-radius: 4px; background: var(--soft); color: #4a5265; border: 1px solid transparent; }
.chip.kind-key, .chip.kind-uniqueKey, .chip.kind-autoKey, .chip.kind-sortedKey { background: #fdecea; color: #a5281f; }
.chip.kind-sorted { background: #e8f1fd; color: #1f5fbf; }
.chip.kind-indexed, .chip.kind-unique, .chip.kind-geo { background: #eaf6ef; color: #1f7a47; }
.chip.kind-relationship { background: #f2ecfc; color: #6a3fb5; }
.legend { color: var(--muted); font-size: 12px; }
.pending { color: #b5bccb; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.null { color: #9aa2b3; font-style: italic; font-family: var(--mono); font-size: 12px; }
.corrupt { color: var(--bad); font-weight: 600; border-bottom: 1px dotted var(--bad); cursor: help; }
a.rel { font-family: var(--mono); font-size: 12.5px; background: #f2ecfc; color: #5a32a3; padding: 1px 6px; border-radius: 4px; }
details.fold summary { cursor: pointer; list-style: none; }
details.fold summary::-webkit-details-marker { display: none; }
details.fold summary::before { content: "▸ "; color: var(--muted); }
details.fold[open] summary::before { content: "▾ "; }
details.fold pre { background: var(--soft); padding: 8px 10px; border-radius: 6px; max-height: 360px; overflow: auto; font-size: 12px; }
.tabs { display: flex; gap: 4px; border-bottom: 1px solid var(--line); margin-bottom: 16px; }
.tab { padding: 8px 14px; color: var(--muted); border-bottom: 2px solid transparent; margin-bottom: -1px; font-weight: 550; }
.tab:hover { color: var(--ink); text-decoration: none; }
.tab.active { color: var(--ink); border-bottom-color: var(--accent); }
form.filter { display: flex; align-items: center; gap: 8px; margin-bottom: 8px; }
form.filter label { font-weight: 600; color: var(--muted); font-size: 12.5px; }
form.filter input[type=search] { flex: 1; font: 13px var(--mono); padding: 8px 10px; border: 1px solid #cfd4de; border-radius: 7px; background: #fff; }
form.filter input[type=search]:focus { outline: 2px solid #f3c3be; border-color: var(--accent); }
button, .button { font: 600 13px var(--sans); padding: 7px 14px; border-radius: 7px; border: 1px solid #cfd4de; background: #fff; color: var(--ink); cursor: pointer; display: inline-block; }
button:hover, .button:hover { background: var(--soft); text-decoration: none; }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
button.primary:hover { background: #ad2d24; }
.button.disabled { color: #b5bccb; cursor: default; background: transparent; }
details.help { margin: 0 0 14px; color: var(--muted); font-size: 12.5px; }
details.help summary { cursor: pointer; }
details.help .params code { display: inline-block; margin: 2px 2px; padding: 0 5px; background: var(--soft); border-radius: 4px; }
.alert { border-radius: 8px; padding: 10px 14px; margin: 0 0 14px; border: 1px solid; }
.alert strong { margin-right: 8px; }
.alert.error { background: #fff5f5; border-color: #f5c2c2; color: #8a1f1f; }
.alert .msg { white-space: pre-wrap; }
.alert.ok { background: #f0faf4; border-color: #b9e4c9; color: #1c5e37; }
.pager { display: flex; align-items: center; justify-content: space-between; color: var(--muted); }
.pager .buttons { display: flex; align-items: center; gap: 10px; }
.badge { display: inline-block; font-size: 11px; font-weight: 650; padding: 1px 8px; border-radius: 999px; background: var(--soft); color: #4a5265; }
.badge.ok { background: #e3f5ea; color: var(--ok); }
.badge.warn { background: #fdf3e1; color: var(--warn); }
.badge.bad { background: #fde8e8; color: var(--bad); }
.bad-text { color: var(--bad); }
.meta-line { color: var(--muted); margin: -8px 0 16px; }
.meta-line .badge { margin-right: 6px; }
.cols { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
.cols > .card, .stack > .card { margin-bottom: 16px; }
table.fields { width: 100%; }
table.fields th { text-align: left; vertical-align: top; font-weight: 600; padding: 8px 16px 8px 0; width: 34%; border-bottom: 1px solid var(--line); }
table.fields td { padding: 8px 0; border-bottom: 1px solid var(--line); word-break: break-word; }
table.fields tr:last-child th, table.fields tr:last-child td { border-bottom: none; }
.kind { font-weight: 400; font-size: 11.5px; color: var(--muted); font-family: var(--mono); }
ul.rels, ul.links { list-style: none; padding: 0; margin: 0; }
ul.rels li, ul.links li { padding: 4px 0; }
.field { font-weight: 600; }
.ref + .ref { border-top: 1px solid var(--line); margin-top: 12px; padding-top: 4px; }
.ref ul.links { display: flex; flex-wrap: wrap; gap: 6px; margin: 4px 0 8px; }
.ref ul.links li { padding: 0; }
.ref p.small { margin: 6px 0 0; }
.ref h3 { margin-top: 6px; }
.count { display: inline-block; min-width: 22px; text-align: center; font-size: 11px; padding: 1px 7px; border-radius: 999px; background: var(--soft); color: #4a5265; margin-left: 4px; }
a.more { font-size: 12.5px; }
table.raw pre { font-size: 11.5px; }
table.grid tbody th { text-align: left; font-weight: 600; background: none; color: var(--ink); border-bottom: 1px solid var(--line); vertical-align: top; }
table.grid tbody tr:last-child th { border-bottom: none; }
code.hex { color: #4a5265; }
.clip { white-space: nowrap; }
table.instances td { white-space: nowrap; vertical-align: middle; }
form.repair button { min-width: 92px; }
.stats { display: grid; grid-template-columns: repeat(auto-fill, minmax(120px, 1fr)); gap: 10px; margin: 14px 0; }
.stat { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
.stat .value { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.stat .label { font-size: 12px; color: var(--muted); }
.stat.good .value { color: var(--ok); }
.stat.warn .value { color: var(--warn); }
.stat.bad .value { color: var(--bad); }
form.repair { display: flex; align-items: center; gap: 12px; margin: 8px 0; }
.denied { max-width: 560px; margin: 80px auto; }
@media (max-width: 900px) { .cols { grid-template-columns: 1fr; } .side { display: none; } }
`;
