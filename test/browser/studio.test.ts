/**
 * The studio in a real browser: Debian's Chromium (apt-get install chromium; .ci/run installs it)
 * driven by playwright-core. Opens each page, follows relationships, runs filters, repairs an
 * index, checks stored markup stays text, and saves screenshots to test-results/studio/.
 * Without Chromium the suite is skipped locally and says so; under CI it fails instead.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Studio } from "../../src/studio/server.js";
import { SCRIPT_VALUE, seedLibrary } from "../fixtures/studio-models.js";
import { raw, useRedis } from "../support/redis.js";
import { openStudio } from "../support/studio.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SHOTS = fileURLToPath(new URL("../../test-results/studio/", import.meta.url));

if (!HAS_CHROMIUM) {
  if (process.env["CI"])
    throw new Error(`Chromium not found at ${CHROMIUM}: .ci/run installs it (apt-get install -y chromium).`);
  console.warn(
    `\n  SKIPPED test/browser/studio.test.ts: no Chromium at ${CHROMIUM}. ` +
      `Install it (apt-get install -y chromium) or set CHROMIUM_PATH to run the browser tests.\n`,
  );
}

/** The machine has no network: keep Chromium from trying to reach one. */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

describe.skipIf(!HAS_CHROMIUM)("popoto studio in Chromium", () => {
  useRedis();
  let profile: string;
  let browser: BrowserContext;
  let studio: Studio;
  let page: Page;
  let library: Awaited<ReturnType<typeof seedLibrary>>;

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    profile = await mkdtemp(join(tmpdir(), "popoto-studio-chromium-"));
    // A persistent context is how playwright takes a fresh --user-data-dir of our choosing.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 800 },
    });
    studio = await openStudio();
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  beforeEach(async () => {
    library = await seedLibrary();
    page = browser.pages()[0] ?? (await browser.newPage());
    // Each test starts from the printed URL, as a user does: token in the query, then the cookie.
    await page.goto(studio.url);
  });

  const shot = (name: string): Promise<Buffer> =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const cellTexts = (selector: string): Promise<string[]> => page.locator(selector).allInnerTexts();

  it("lists the models with counts and index sizes, and drops the token from the address bar", async () => {
    expect(new URL(page.url()).searchParams.has("token")).toBe(false);
    await expect.poll(() => page.locator("tr.measured").count()).toBe(5);
    const book = page.locator("#models tbody tr", { hasText: "Book" }).first();
    const cells = await book.locator("td").allInnerTexts();
    expect(cells[1]).toBe("7");
    expect(Number(cells[2])).toBeGreaterThan(5); // index keys: class set, key sets, sorted set, …
    expect(cells[4]).toMatch(/B$/);
    await shot("home");
  });

  it("pages a model's table, ordered by a sorted field in Redis", async () => {
    await page.click("#models >> text=Book");
    await expect.poll(() => page.locator("table.instances tbody tr").count()).toBe(7);
    await page.click("th.sortable >> text=pages");
    expect(new URL(page.url()).searchParams.get("order")).toBe("pages");
    const ascending = await cellTexts("table.instances tbody tr td:nth-child(4)");
    expect(ascending.map(Number)).toEqual([1, 183, 310, 365, 387, 412, 1178]);
    await page.click("th.sortable >> text=pages");
    expect(new URL(page.url()).searchParams.get("order")).toBe("-pages");
    expect((await cellTexts("table.instances tbody tr td:nth-child(4)"))[0]).toBe("1178");
    await page.goto(`${new URL(page.url()).origin}/models/Book?order=pages&size=3&page=2`);
    expect(await cellTexts("table.instances tbody tr td:nth-child(4)")).toEqual(["365", "387", "412"]);
    expect(await page.locator(".pager .range").innerText()).toMatch(/4–6 of 7/);
    await page.click("a[rel=next]");
    expect(await cellTexts("table.instances tbody tr td:nth-child(4)")).toEqual(["1178"]);
  });

  it("runs a filter with filter()'s lookups, and shows its errors", async () => {
    await page.click("nav.side >> text=Book");
    await page.fill("#filter", "pages__gte=300, author__name=Tolkien");
    await page.click("form.filter button[type=submit]");
    const keys = await cellTexts("table.instances tbody td.key");
    expect(keys.sort()).toEqual(["Book:The Hobbit", "Book:The Lord of the Rings", "Book:The Silmarillion"]);
    await page.click("th.sortable >> text=pages"); // the order keeps the filter
    expect(await cellTexts("table.instances tbody td.key")).toEqual([
      "Book:The Hobbit",
      "Book:The Silmarillion",
      "Book:The Lord of the Rings",
    ]);
    await shot("model-filtered");

    await page.fill("#filter", "title__in=[Dune, The Dispossessed], genre=sf");
    await page.click("form.filter button[type=submit]");
    expect((await cellTexts("table.instances tbody td.key")).sort()).toEqual([
      "Book:Dune",
      "Book:The Dispossessed",
    ]);

    await page.fill("#filter", "colour=red");
    await page.click("form.filter button[type=submit]");
    const error = (await page.locator(".alert.error").innerText()).trim();
    expect(error).toMatch(/^QUERY/);
    expect(error).toContain('"colour" names no field of Book');
    await page.fill("#filter", "blurb=x");
    await page.click("form.filter button[type=submit]");
    expect(await page.locator(".alert.error").innerText()).toContain("Book.blurb is not indexed");
  });

  it("shows an instance and follows its relationships both ways", async () => {
    await page.click("nav.side >> text=Book");
    await page.click("td.key >> text=Book:The Hobbit");
    expect(await page.locator("h1").innerText()).toBe("Book:The Hobbit");
    expect(await page.locator("table.fields").innerText()).toContain("1937-09-21");
    // Long values are folded.
    await expect.poll(() => page.locator("table.fields details.fold").count()).toBeGreaterThan(0);
    // Every index entry the hash calls for is present.
    expect(await page.locator("text=missing").count()).toBe(0);
    expect(await page.locator("table.grid .badge.ok").count()).toBeGreaterThan(4);
    // Referenced by: the shelf and the two reviews.
    const referrers = await page.locator("section:has(h2:text('Referenced by'))").innerText();
    expect(referrers).toContain("Shelf:favourites");
    expect(referrers).toMatch(/Review\.book\s*2/);
    await shot("instance");
    await page.screenshot({ path: join(SHOTS, "readme.png") }); // the viewport, for docs/studio.png

    await page.click("ul.rels >> text=Author:Tolkien");
    expect(await page.locator("h1").innerText()).toBe("Author:Tolkien");
    const books = await page.locator(".ref", { hasText: "Book.author" }).innerText();
    expect(books).toContain("Book:The Silmarillion");
    await page.click(".ref:has-text('Book.author') >> text=As a table");
    expect((await cellTexts("table.instances tbody td.key")).length).toBe(3);

    await page.goBack();
    await page.click("ul.rels >> text=Publisher:Allen & Unwin");
    expect(await page.locator("h1").innerText()).toBe("Publisher:Allen & Unwin");
    expect(await page.locator(".ref").innerText()).toContain("Author:Tolkien");
  });

  it("checks index health and lists the differences, without repair buttons when read-only", async () => {
    await raw.srem("$Class:Book", "Book:Dune"); // missing
    await raw.sadd("$KeyF:Book:title:Ghost", "Book:Ghost"); // stale
    await page.click("nav.side >> text=Book");
    await page.click("a.tab >> text=Index health");
    await page.click("#run-check");
    const rows = await cellTexts("#differences tbody tr");
    expect(rows.some((row) => row.includes("missing") && row.includes("$Class:Book"))).toBe(true);
    expect(rows.some((row) => row.includes("stale") && row.includes("$KeyF:Book:title:Ghost"))).toBe(true);
    expect(await page.locator("form.repair").count()).toBe(0);
    expect(await page.locator("main").innerText()).toContain("Start it with --write");
    await shot("health");
  });

  it("keeps stored markup as text on every page", async () => {
    await page.goto(`${new URL(page.url()).origin}/models/Book?order=pages`);
    const first = page.locator("table.instances tbody tr").first();
    expect(await first.locator("td.key").innerText()).toBe(library.xss.redisKey);
    await first.locator("td.key a").click();
    expect(await page.locator("h1").innerText()).toBe(library.xss.redisKey);
    // Long, so folded: the whole value is the text of the fold.
    expect(await page.locator("table.fields details.fold pre").allTextContents()).toEqual([
      SCRIPT_VALUE,
      SCRIPT_VALUE,
      SCRIPT_VALUE,
    ]);
    expect(await page.evaluate("typeof window.__studioXss")).toBe("undefined");
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.locator("main script").count()).toBe(0);
  });
});

describe.skipIf(!HAS_CHROMIUM)("popoto studio in Chromium, with --write", () => {
  useRedis();
  let profile: string;
  let browser: BrowserContext;
  let studio: Studio;

  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), "popoto-studio-chromium-"));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1280, height: 800 },
    });
    studio = await openStudio({ write: true });
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it("repairs an index with the Rebuild button", async () => {
    await seedLibrary();
    await raw.srem("$Class:Book", "Book:Dune");
    await raw.sadd("$KeyF:Book:title:Ghost", "Book:Ghost");
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(studio.url);
    await page.click("nav.side >> text=Book");
    await page.click("a.tab >> text=Index health");
    await page.click("#run-check");
    expect(await page.locator("#differences tbody tr").count()).toBe(2);
    await page.screenshot({ path: join(SHOTS, "health-write.png"), fullPage: true });
    await page.click("button[name=repair-rebuild]");
    expect(await page.locator(".alert.ok").first().innerText()).toMatch(/Rebuilt\s+removed 1, added 1/);
    expect(await page.locator(".alert.ok", { hasText: "Healthy" }).count()).toBe(1);
    expect(await raw.sismember("$Class:Book", "Book:Dune")).toBe(1);
    expect(await raw.exists("$KeyF:Book:title:Ghost")).toBe(0);
  });
});
