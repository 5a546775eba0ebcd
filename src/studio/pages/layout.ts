/**
 * The frame of every studio page: top bar (Redis, read-only or writes enabled), the model list,
 * breadcrumbs, then the page's own content.
 */
import { href, html, modelPath, type SafeHtml } from "../html.js";

/** What every page knows about the running studio. */
export interface StudioView {
  /** Model names, in the order the models module defines them. */
  readonly models: readonly string[];
  /** The Redis URL without its password. */
  readonly redis: string;
  readonly write: boolean;
  /** For write forms: the token goes in their body (a cookie alone does not authorize a write). */
  readonly token: string;
}

/** One step of the breadcrumb trail; the last one is the current page (no link). */
export interface Crumb {
  readonly label: string;
  readonly href?: string | undefined;
}

export function layout(
  view: StudioView,
  options: { readonly title: string; readonly crumbs: readonly Crumb[]; readonly model?: string | undefined },
  body: SafeHtml,
): SafeHtml {
  const nav = view.models.map(
    (name) =>
      html`<li>
        <a href="${modelPath(name)}" class="${name === options.model ? "active" : ""}">${name}</a>
      </li>`,
  );
  const crumbs = [{ label: "Models", href: "/" }, ...options.crumbs].map((crumb, i, all) =>
    i === all.length - 1 || crumb.href === undefined
      ? html`<span>${crumb.label}</span>`
      : html`<a href="${crumb.href}">${crumb.label}</a><span class="sep">/</span>`,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} · popoto studio</title>
        <link rel="stylesheet" href="/static/studio.css" />
        <script src="/static/studio.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/"><span class="logo">p</span>popoto <span class="thin">studio</span></a>
          <span class="conn" title="Redis">${view.redis}</span>
          ${view.write ? html`<span class="mode write" title="started with --write">writes enabled</span>` : html`<span class="mode ro" title="start with --write to allow index repairs">read-only</span>`}
        </header>
        <div class="shell">
          <nav class="side" aria-label="Models">
            <h2>Models</h2>
            <ul>
              ${nav}
            </ul>
          </nav>
          <main>
            <div class="crumbs">${crumbs}</div>
            ${body}
          </main>
        </div>
      </body>
    </html>`;
}

/** The tabs of a model's pages. */
export function modelTabs(model: string, current: "instances" | "health"): SafeHtml {
  const tab = (id: "instances" | "health", label: string, path: string): SafeHtml =>
    html`<a class="tab ${id === current ? "active" : ""}" href="${path}">${label}</a>`;
  return html`<div class="tabs">
    ${tab("instances", "Instances", modelPath(model))}${tab("health", "Index health", modelPath(model, "health"))}
  </div>`;
}

/** A link to an instance's page. */
export const instanceHref = (model: string, key: string): string =>
  href(modelPath(model, "instance"), { key });
