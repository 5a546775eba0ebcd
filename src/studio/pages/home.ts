/**
 * The studio's first page: every model with its instance count (SCARD, at once) and its index
 * keys, entries and memory (what `popoto inspect` measures, filled in by the page's script, since
 * those take a SCAN of the keyspace per model).
 */
import type { ModelMeta } from "../../model/meta.js";
import { count } from "../format.js";
import { html, modelPath, type SafeHtml } from "../html.js";
import { layout, type StudioView } from "./layout.js";

/** A model as the first page lists it. */
export interface ModelSummary {
  readonly meta: ModelMeta;
  readonly instances: number;
}

const fieldList = (meta: ModelMeta): SafeHtml[] =>
  meta.fieldNames
    .filter((name) => !name.startsWith("_"))
    .map((name) => {
      const spec = meta.fields.get(name);
      const kind = spec?.kind ?? "plain";
      return html`<span class="chip kind-${kind}" title="${kind} ${spec?.type ?? ""}">${name}</span>`;
    });

export function homePage(view: StudioView, summaries: readonly ModelSummary[]): SafeHtml {
  const rows = summaries.map(
    ({ meta, instances }) =>
      html`<tr data-stats="${modelPath(meta.name, "stats")}">
        <td><a class="model-link" href="${modelPath(meta.name)}">${meta.name}</a></td>
        <td class="num">${count(instances)}</td>
        <td class="num" data-stat="indexKeys"><span class="pending">…</span></td>
        <td class="num" data-stat="indexEntries"><span class="pending">…</span></td>
        <td class="num" data-stat="indexMemory"><span class="pending">…</span></td>
        <td class="num" data-stat="hashMemory"><span class="pending">…</span></td>
        <td class="fields">${fieldList(meta)}</td>
        <td class="actions"><a href="${modelPath(meta.name, "health")}">Index health</a></td>
      </tr>`,
  );
  const body = html`<h1>Models</h1>
    <p class="lead">
      ${summaries.length} model${summaries.length === 1 ? "" : "s"} from the models module. Counts come from
      each model's class set; index sizes and memory are measured as <code>popoto inspect</code> does.
    </p>
    <div class="card">
      <table class="grid" id="models">
        <thead>
          <tr>
            <th>Model</th>
            <th class="num">Instances</th>
            <th class="num">Index keys</th>
            <th class="num">Index entries</th>
            <th class="num">Index memory</th>
            <th class="num">Hash memory (est.)</th>
            <th>Fields</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${rows}
        </tbody>
      </table>
    </div>
    <p class="legend">
      <span class="chip kind-key">key</span><span class="chip kind-sorted">sorted</span
      ><span class="chip kind-indexed">indexed</span><span class="chip kind-relationship">relationship</span
      ><span class="chip kind-plain">plain</span>
    </p>`;
  return layout(view, { title: "Models", crumbs: [] }, body);
}
