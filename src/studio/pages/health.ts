/**
 * A model's index health: `checkIndexes()` on request, its differences listed, and the repairs
 * (`cleanIndexes()`, `rebuildIndexes()`) as buttons only when the studio runs with --write.
 */
import { printable } from "../../cli/table.js";
import type { IndexDifference, IndexReport } from "../../maintenance/indexes.js";
import type { ModelMeta } from "../../model/meta.js";
import { count } from "../format.js";
import { html, modelPath, type SafeHtml } from "../html.js";
import { instanceHref, layout, modelTabs, type StudioView } from "./layout.js";

/** Differences listed on the page; the counts cover all of them. */
export const DIFFERENCES_SHOWN = 500;

/** What the last repair changed, carried in the redirect after the POST. */
export interface RepairNote {
  readonly action: string;
  readonly removed: number;
  readonly added: number;
  readonly purged: number;
}

const note = (d: IndexDifference): string => {
  if (d.kind === "score") return `score ${d.actual ?? "?"}, expected ${d.expected ?? "?"}`;
  if (d.kind === "missing") return d.expected === undefined ? "" : `score ${d.expected}`;
  return d.actual === undefined ? "" : `score ${d.actual}`;
};

const EXPLAIN: Record<IndexDifference["kind"], string> = {
  missing: "the hash calls for this entry; the index lacks it",
  stale: "the index holds an entry no hash calls for",
  score: "the sorted entry has the wrong score",
};

function report(meta: ModelMeta, r: IndexReport): SafeHtml {
  const total = r.counts.missing + r.counts.stale + r.counts.score;
  const ok = total === 0 && r.counts.misplaced === 0;
  const stat = (label: string, value: number, tone = ""): SafeHtml =>
    html`<div class="stat ${tone}">
      <div class="value">${count(value)}</div>
      <div class="label">${label}</div>
    </div>`;
  const rows = r.differences.slice(0, DIFFERENCES_SHOWN).map(
    (d) =>
      html`<tr>
        <td>
          <span class="badge ${d.kind === "missing" ? "bad" : "warn"}" title="${EXPLAIN[d.kind]}"
            >${d.kind}</span
          >
        </td>
        <td><code>${printable(d.index)}</code></td>
        <td>
          ${d.member === "" ? html`<span class="muted">(the whole hash)</span>` : html`<code>${printable(d.member)}</code>`}
        </td>
        <td><a href="${instanceHref(meta.name, d.instance)}">${d.instance}</a></td>
        <td class="muted">${note(d)}</td>
      </tr>`,
  );
  return html`<div class="stats">
      ${stat("instances", r.instances)}${stat("index keys", r.indexKeys)}${stat("entries", r.entries)}
      ${stat("missing", r.counts.missing, r.counts.missing > 0 ? "bad" : "good")}${stat("stale", r.counts.stale, r.counts.stale > 0 ? "warn" : "good")}${stat("wrong score", r.counts.score, r.counts.score > 0 ? "warn" : "good")}${stat("misplaced", r.counts.misplaced, r.counts.misplaced > 0 ? "warn" : "good")}
    </div>
    ${ok ? html`<div class="alert ok" role="status"><strong>Healthy</strong> Every index of ${meta.name} matches the hashes.</div>` : ""}
    ${
      rows.length === 0
        ? ""
        : html`<table class="grid compact" id="differences">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Index structure</th>
                <th>Member</th>
                <th>Instance</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
    }
    ${total > rows.length ? html`<p class="muted">… and ${count(total - rows.length)} more (<code>popoto check --json --max-listed N</code> lists up to N).</p>` : ""}
    ${
      r.misplaced.length === 0
        ? ""
        : html`<h3>Misplaced hashes</h3>
            <p class="muted">Stored under a key their values do not make; repairs leave them alone.</p>
            <ul class="links">
              ${r.misplaced.slice(0, DIFFERENCES_SHOWN).map((key) => html`<li><a href="${instanceHref(meta.name, key)}">${key}</a></li>`)}
            </ul>`
    }`;
}

function repairs(view: StudioView, meta: ModelMeta, r: IndexReport | undefined): SafeHtml {
  if (!view.write)
    return html`<p class="muted">
      The studio is read-only. Start it with <code>--write</code> to repair indexes here, or run
      <code>popoto clean</code> / <code>popoto rebuild</code>.
    </p>`;
  const form = (action: "clean" | "rebuild", label: string, detail: string, primary: boolean): SafeHtml =>
    html`<form method="post" action="${modelPath(meta.name, "repair")}" class="repair">
      <input type="hidden" name="token" value="${view.token}" />
      <input type="hidden" name="action" value="${action}" />
      <button type="submit" class="${primary ? "primary" : ""}" name="repair-${action}">${label}</button>
      <span class="muted">${detail}</span>
    </form>`;
  const needsRebuild = r !== undefined && r.counts.missing > 0;
  return html`${form("clean", "Clean", "removes stale entries and corrects wrong scores; adds nothing", !needsRebuild)}
  ${form("rebuild", "Rebuild", "also adds every missing entry (e.g. after Python Popoto or a raw client wrote the data)", needsRebuild)}`;
}

export function healthPage(
  view: StudioView,
  meta: ModelMeta,
  result: IndexReport | undefined,
  repaired: RepairNote | undefined,
): SafeHtml {
  const done = repaired
    ? html`<div class="alert ok" role="status">
        <strong>${repaired.action === "clean" ? "Cleaned" : "Rebuilt"}</strong> removed
        ${count(repaired.removed)}, added ${count(repaired.added)}, purged ${count(repaired.purged)}. The
        check below ran after the repair.
      </div>`
    : "";
  const body = html`<h1>${meta.name}</h1>
    ${modelTabs(meta.name, "health")} ${done}
    <section class="card">
      <h2>Check</h2>
      <p class="muted">
        Compares every index structure of ${meta.name} (class set, key, unique and indexed sets, sorted and
        geo sets, relationship reverse sets, lex indexes) with the hashes, as <code>popoto check</code> does.
        It reads every instance, so it takes a while on large models.
      </p>
      <form method="get" action="${modelPath(meta.name, "health")}">
        <input type="hidden" name="run" value="1" /><button type="submit" class="primary" id="run-check">
          ${result ? "Check again" : "Run check"}
        </button>
      </form>
      ${result ? report(meta, result) : ""}
    </section>
    <section class="card">
      <h2>Repair</h2>
      ${repairs(view, meta, result)}
    </section>`;
  return layout(
    view,
    {
      title: `${meta.name} index health`,
      crumbs: [{ label: meta.name, href: modelPath(meta.name) }, { label: "Index health" }],
      model: meta.name,
    },
    body,
  );
}
