/**
 * One instance: fields (typed, long values folded), Redis key, ttl and raw hash, the index
 * entries that hold it, its relationships as links, and the instances that reference it.
 */
import { printable } from "../../cli/table.js";
import type { ModelMeta } from "../../model/meta.js";
import { bytesHtml, count, durationText } from "../format.js";
import { href, html, modelPath, type SafeHtml } from "../html.js";
import type { InstanceDetail } from "../read-instance.js";
import { fieldCell } from "./model.js";
import { instanceHref, layout, type StudioView } from "./layout.js";

const kindLabel = (meta: ModelMeta, name: string): string => {
  const spec = meta.fields.get(name);
  if (!spec) return "";
  return spec.kind === "relationship"
    ? `relationship${spec.many ? " (many)" : ""}`
    : `${spec.kind} · ${spec.type}${spec.nullable ? " · null" : ""}`;
};

function entriesTable(detail: InstanceDetail): SafeHtml {
  if (detail.entries.length === 0) return html`<p class="muted">No entries: the hash is absent.</p>`;
  const missing = detail.entries.filter((e) => !e.present).length;
  const rows = detail.entries.map(({ entry, present, score }) => {
    const expected = entry.kind === "z" ? entry.score : undefined;
    const wrongScore =
      entry.kind === "z" &&
      score !== undefined &&
      !Number.isNaN(entry.score) &&
      Math.abs(score - entry.score) > 1e-9 * Math.max(1, Math.abs(entry.score));
    return html`<tr class="${present ? (wrongScore ? "warn" : "") : "bad"}">
      <td><code>${printable(entry.key)}</code></td>
      <td>
        ${entry.member === detail.instance.key ? html`<span class="muted">this key</span>` : html`<code>${printable(entry.member)}</code>`}
      </td>
      <td class="num">
        ${score ?? expected ?? ""}${wrongScore ? html` <span class="muted">(expected ${expected})</span>` : ""}
      </td>
      <td>
        ${present ? (wrongScore ? html`<span class="badge warn">wrong score</span>` : html`<span class="badge ok">present</span>`) : html`<span class="badge bad">missing</span>`}
      </td>
    </tr>`;
  });
  return html`<p class="muted">
      The entries this instance's stored values call for, each checked in
      Redis${missing > 0 ? html` — <strong class="bad-text">${missing} missing</strong>` : ""}.
    </p>
    <table class="grid compact">
      <thead>
        <tr>
          <th>Index structure</th>
          <th>Member</th>
          <th class="num">Score</th>
          <th>State</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
}

function referrers(detail: InstanceDetail): SafeHtml {
  if (detail.referrers.length === 0)
    return html`<p class="muted">No model of this studio has a relationship to this one.</p>`;
  return html`${detail.referrers.map((r) => {
    const filter = `${r.field}=${JSON.stringify(detail.instance.key)}`;
    return html`<div class="ref">
      <h3>
        <a href="${modelPath(r.model)}">${r.model}</a>.${r.field} <span class="count">${count(r.count)}</span>
      </h3>
      ${
        r.keys.length === 0
          ? html`<p class="muted">None.</p>`
          : html`<ul class="links">
              ${r.keys.map((key) => html`<li><a class="rel" href="${instanceHref(r.model, key)}">${key}</a></li>`)}
            </ul>`
      }
      ${r.count > r.keys.length ? html`<a class="more" href="${href(modelPath(r.model), { filter })}">All ${count(r.count)} in the ${r.model} table →</a>` : r.count > 0 ? html`<a class="more" href="${href(modelPath(r.model), { filter })}">As a table →</a>` : ""}
      <p class="muted small">from <code>${r.set}</code></p>
    </div>`;
  })}`;
}

export function instancePage(view: StudioView, meta: ModelMeta, detail: InstanceDetail): SafeHtml {
  const { instance } = detail;
  const fields = meta.fieldNames.map(
    (name) =>
      html`<tr>
        <th scope="row">
          ${name}
          <div class="kind">${kindLabel(meta, name)}</div>
        </th>
        <td>${fieldCell(meta, name, instance.fields.get(name))}</td>
      </tr>`,
  );
  const rels = detail.relationships.map(
    (r) =>
      html`<li>
        <span class="field">${r.field}</span> →
        ${r.keys.length === 0 ? html`<span class="null">null</span>` : r.keys.map((key, i) => html`${i > 0 ? ", " : ""}<a class="rel" href="${instanceHref(r.target, key)}">${key}</a>`)}
        <span class="muted">(${r.target})</span>
      </li>`,
  );
  const raw = [...instance.raw].map(
    ([name, bytes]) =>
      html`<tr>
        <th scope="row">
          <code>${printable(name)}</code
          >${meta.fields.has(name) ? "" : html` <span class="badge warn">undeclared</span>`}
        </th>
        <td class="num">${bytes.length} B</td>
        <td>${bytesHtml(bytes)}</td>
      </tr>`,
  );
  const missingHash = instance.exists
    ? ""
    : html`<div class="alert error" role="alert">
        <strong>No hash</strong> Nothing is stored at this
        key${detail.type !== "none" ? html` (it holds a ${detail.type})` : ""}; index entries naming it are
        leftovers that <code>popoto clean</code> removes.
      </div>`;
  const body = html`<h1 class="key-title">${instance.key}</h1>
    <p class="meta-line">
      <span class="badge">${meta.name}</span> Redis key <code class="copy">${instance.key}</code> ·
      ${detail.type}${detail.ttlMs === undefined ? "" : html` · expires in ${durationText(detail.ttlMs)}`}
    </p>
    ${missingHash}
    <div class="cols">
      <section class="card">
        <h2>Fields</h2>
        <table class="fields">
          ${fields}
        </table>
      </section>
      <div class="stack">
        <section class="card">
          <h2>Relationships</h2>
          ${
            rels.length === 0
              ? html`<p class="muted">${meta.name} has no relationship fields.</p>`
              : html`<ul class="rels">
                  ${rels}
                </ul>`
          }
        </section>
        <section class="card">
          <h2>Referenced by</h2>
          ${referrers(detail)}
        </section>
      </div>
    </div>
    <section class="card">
      <h2>Index entries</h2>
      ${entriesTable(detail)}
    </section>
    <section class="card">
      <h2>Raw hash</h2>
      ${
        raw.length === 0
          ? html`<p class="muted">Empty.</p>`
          : html`<table class="grid compact raw">
              <thead>
                <tr>
                  <th>Hash field</th>
                  <th class="num">Size</th>
                  <th>Bytes (msgpack)</th>
                </tr>
              </thead>
              <tbody>
                ${raw}
              </tbody>
            </table>`
      }
    </section>`;
  return layout(
    view,
    {
      title: instance.key,
      crumbs: [{ label: meta.name, href: modelPath(meta.name) }, { label: instance.key }],
      model: meta.name,
    },
    body,
  );
}
