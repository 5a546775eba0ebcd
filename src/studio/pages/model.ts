/**
 * A model's instances as a paged table: the filter box (the lookups `filter()` takes), columns
 * sortable by sorted fields, relationship cells linking to their targets.
 */
import type { ModelMeta } from "../../model/meta.js";
import { targetName } from "../../model/targets.js";
import { filterParams } from "../../query/filter-params.js";
import { count, valueHtml } from "../format.js";
import { href, html, modelPath, type SafeHtml } from "../html.js";
import { PAGE_SIZE, sortableFields, type ModelPage } from "../read-model.js";
import type { StoredField } from "../read-hash.js";
import { instanceHref, layout, modelTabs, type StudioView } from "./layout.js";

/** Columns of the table: the declared fields but the hidden ones (`_auto_key`, whose value is the key). */
const columns = (meta: ModelMeta): string[] => meta.fieldNames.filter((name) => !name.startsWith("_"));

/** A cell: a relationship's keys as links to their instances, anything else as its value. */
export function fieldCell(
  meta: ModelMeta,
  name: string,
  field: StoredField | undefined,
  clip?: number,
): SafeHtml {
  if (field === undefined || field.state === "absent")
    return html`<span class="muted" title="not in the hash">—</span>`;
  if (field.state === "corrupt") return html`<span class="corrupt" title="${field.message}">corrupt</span>`;
  const spec = meta.fields.get(name);
  if (spec?.kind === "relationship" && field.value !== null) {
    const target = targetName(meta.name, name, spec);
    const keys = Array.isArray(field.value) ? (field.value as unknown[]).map(String) : [String(field.value)];
    if (keys.length === 0) return html`<span class="muted">[]</span>`;
    return html`${keys.map((key, i) => html`${i > 0 ? ", " : ""}<a class="rel" href="${instanceHref(target, key)}">${key}</a>`)}`;
  }
  return valueHtml(field.value, { type: spec?.type, clip });
}

/** The query string of this table with some parameters changed. */
const pageHref = (
  model: string,
  page: ModelPage,
  change: Partial<Record<"filter" | "order" | "page", string | number>>,
): string =>
  href(modelPath(model), {
    filter: page.request.filter,
    order: page.order,
    size: page.request.size === PAGE_SIZE ? undefined : page.request.size,
    page: 1,
    ...change,
  });

function header(meta: ModelMeta, page: ModelPage, name: string): SafeHtml {
  if (!sortableFields(meta).includes(name)) return html`<th>${name}</th>`;
  const current = page.order === name ? "asc" : page.order === `-${name}` ? "desc" : "";
  const next = current === "asc" ? `-${name}` : name;
  const arrow = current === "asc" ? "▲" : current === "desc" ? "▼" : "↕";
  return html`<th class="sortable ${current}">
    <a href="${pageHref(meta.name, page, { order: next })}" title="order by ${name} (in Redis)"
      >${name} <span class="arrow">${arrow}</span></a
    >
  </th>`;
}

export function modelPage(view: StudioView, meta: ModelMeta, page: ModelPage): SafeHtml {
  const names = columns(meta);
  const { request } = page;
  const first = page.total === 0 ? 0 : (request.page - 1) * request.size + 1;
  const last = Math.min(page.total, request.page * request.size);
  const pages = Math.max(1, Math.ceil(page.total / request.size));
  const rows = page.rows.map(
    (row) =>
      html`<tr>
        <td class="key">
          <a href="${instanceHref(meta.name, row.key)}">${row.key}</a
          >${row.exists ? "" : html` <span class="badge warn">gone</span>`}
        </td>
        ${names.map((name) => html`<td>${fieldCell(meta, name, row.fields.get(name), 40)}</td>`)}
      </tr>`,
  );
  const params = filterParams(meta);
  const error = page.error
    ? html`<div class="alert error" role="alert">
        <strong>${page.error.code}</strong><span class="msg">${page.error.message}</span>
      </div>`
    : "";
  const pager = html`<div class="pager">
    <span class="range"
      >${page.total === 0 ? "No instances" : html`${count(first)}–${count(last)} of <strong>${count(page.total)}</strong>`}${page.order === "" ? "" : html` · ordered by <code>${page.order}</code>`}</span
    >
    <span class="buttons">
      ${request.page > 1 ? html`<a class="button" rel="prev" href="${pageHref(meta.name, page, { page: request.page - 1 })}">← Previous</a>` : html`<span class="button disabled">← Previous</span>`}
      <span class="muted">page ${count(request.page)} of ${count(pages)}</span>
      ${request.page < pages ? html`<a class="button" rel="next" href="${pageHref(meta.name, page, { page: request.page + 1 })}">Next →</a>` : html`<span class="button disabled">Next →</span>`}
    </span>
  </div>`;
  const body = html`<h1>${meta.name}</h1>
    ${modelTabs(meta.name, "instances")}
    <form class="filter" method="get" action="${modelPath(meta.name)}">
      <input type="hidden" name="order" value="${page.order}" />
      ${page.request.size === PAGE_SIZE ? "" : html`<input type="hidden" name="size" value="${page.request.size}" />`}
      <label for="filter">Filter</label>
      <input
        id="filter"
        name="filter"
        type="search"
        value="${request.filter}"
        placeholder="${params
          .slice(0, 3)
          .map((p) => `${p}=…`)
          .join(", ")}"
        autocomplete="off"
        spellcheck="false"
      />
      <button type="submit" class="primary">Apply</button>
      ${request.filter === "" ? "" : html`<a class="button" href="${modelPath(meta.name)}">Clear</a>`}
    </form>
    <details class="help">
      <summary>Lookups of ${meta.name}</summary>
      <p>
        Write <code>field=value</code> pairs separated by commas, as <code>filter()</code> takes them:
        <code>pages__gte=300, author__name=Tolkien</code>. Lists in brackets (<code
          >title__in=[Dune, Emma]</code
        >), text in quotes when it holds a comma, <code>null</code> for none.
      </p>
      <p class="params">${params.map((p) => html`<code>${p}</code> `)}</p>
    </details>
    ${error}
    <div class="card">
      <table class="grid instances">
        <thead>
          <tr>
            <th>Key</th>
            ${names.map((name) => header(meta, page, name))}
          </tr>
        </thead>
        <tbody>
          ${
            rows.length > 0
              ? rows
              : html`<tr>
                  <td class="empty" colspan="${names.length + 1}">
                    ${page.error ? "The filter did not run." : "Nothing matches."}
                  </td>
                </tr>`
          }
        </tbody>
      </table>
    </div>
    ${pager}`;
  return layout(view, { title: meta.name, crumbs: [{ label: meta.name }], model: meta.name }, body);
}
