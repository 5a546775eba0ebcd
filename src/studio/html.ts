/**
 * HTML built with a tagged template that escapes every interpolated value, so a stored value can
 * only ever become text: `html\`<td>${value}</td>\`` escapes `value`; only other `html` results
 * (and `rawHtml`, for the studio's own constant markup) pass through as markup.
 */

/** Markup the studio built itself; interpolating it into `html` does not escape it again. */
export class SafeHtml {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  "`": "&#96;",
};

/** Text safe inside element content and inside quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);

/** What `html` accepts between `${…}`: values (escaped), markup, and lists of either. */
export type HtmlValue =
  SafeHtml | string | number | bigint | boolean | null | undefined | readonly HtmlValue[];

const render = (value: HtmlValue): string => {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
};

/** Markup from a template: every interpolation escaped unless it is SafeHtml (or a list of it). */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? "";
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? "");
  });
  return new SafeHtml(out);
}

/** The studio's own constant markup (never a stored value). */
export const rawHtml = (text: string): SafeHtml => new SafeHtml(text);

/** A URL path with query parameters, each part encoded; undefined and "" parameters are left out. */
export function href(
  path: string,
  params: Readonly<Record<string, string | number | undefined>> = {},
): string {
  const query = Object.entries(params)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined && entry[1] !== "")
    .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
    .join("&");
  return query === "" ? path : `${path}?${query}`;
}

/** The path of a model's pages: `/models/Book`, `/models/Book/instance`… (names are identifiers, encoded anyway). */
export const modelPath = (model: string, page = ""): string =>
  `/models/${encodeURIComponent(model)}${page === "" ? "" : `/${page}`}`;
