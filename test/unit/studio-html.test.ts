/**
 * The studio's escaping and filter box parsing, as data.
 */
import { describe, expect, it } from "vitest";
import { escapeHtml, href, html, rawHtml } from "../../src/studio/html.js";
import { parseFilterText, splitEntries } from "../../src/studio/filter-text.js";
import { QueryError } from "../../src/index.js";
import { Book } from "../fixtures/studio-models.js";
import { caught } from "../support/inspect.js";

describe("studio html", () => {
  it("escapes every interpolation, in text and attributes", () => {
    const value = `<script>alert("x")</script>' & \``;
    expect(html`<td title="${value}">${value}</td>`.toString()).toBe(
      '<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &amp; &#96;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; &amp; &#96;</td>',
    );
    expect(escapeHtml("a<b")).toBe("a&lt;b");
  });

  it("passes its own markup through, lists joined, null and false as nothing", () => {
    const inner = html`<b>${"<i>"}</b>`;
    expect(html`<p>${inner}${[html`<br />`, "<br>"]}${null}${undefined}${false}${0}</p>`.toString()).toBe(
      "<p><b>&lt;i&gt;</b><br />&lt;br&gt;0</p>",
    );
    expect(rawHtml("<hr>").toString()).toBe("<hr>");
  });

  it("builds URLs with every parameter encoded", () => {
    expect(
      href("/models/Book/instance", { key: 'Book:A&B="<x>"', page: 2, order: undefined, filter: "" }),
    ).toBe("/models/Book/instance?key=Book%3AA%26B%3D%22%3Cx%3E%22&page=2");
  });
});

describe("studio filter box", () => {
  it("splits at top-level commas, ampersands, semicolons and newlines, not inside quotes or brackets", () => {
    expect(splitEntries('a=1, b="x, y" & c=[1, 2]; d={"k": 1, "j": 2}\ne=2')).toEqual([
      "a=1",
      'b="x, y"',
      "c=[1, 2]",
      'd={"k": 1, "j": 2}',
      "e=2",
    ]);
    expect(splitEntries(" , ")).toEqual([]);
  });

  it("types each value by the field the lookup ends on, through relationships", () => {
    expect(
      parseFilterText(
        Book.meta,
        'pages__gte=300, author__name=1984, title__in=[Dune, "A, B"], genre__isnull=false, author="Author:X", pages__between=[1,2], author__publisher__name=Ace',
      ),
    ).toEqual({
      pages__gte: 300,
      author__name: "1984",
      title__in: ["Dune", "A, B"],
      genre__isnull: false,
      author: "Author:X",
      pages__between: [1, 2],
      author__publisher__name: "Ace",
    });
    expect(parseFilterText(Book.meta, "genre=null, title=None, pages=lots")).toEqual({
      genre: null,
      title: null,
      pages: "lots", // left as text: filter() rejects it with its own message
    });
    expect(parseFilterText(Book.meta, "")).toEqual({});
  });

  it("rejects an entry without = and a lookup given twice, as QueryErrors", async () => {
    const noValue = await caught(() => parseFilterText(Book.meta, "pages"), QueryError);
    expect(noValue.message).toMatch(/"pages" is not a lookup: write field=value/);
    const twice = await caught(() => parseFilterText(Book.meta, "pages=1, pages=2"), QueryError);
    expect(twice.message).toMatch(/"pages" is given twice/);
    expect(twice.code).toBe("QUERY");
  });
});
