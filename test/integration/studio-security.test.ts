/**
 * The studio's security points, each tested over real HTTP against a real studio: it listens on
 * 127.0.0.1 by default; every request needs the token; writes need --write and a POST carrying
 * the token; stored values are escaped.
 */
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { Studio } from "../../src/studio/server.js";
import { SCRIPT_VALUE, seedLibrary } from "../fixtures/studio-models.js";
import { raw, TEST_URL, useRedis } from "../support/redis.js";
import { get, http, openStudio, tokenCookie } from "../support/studio.js";

useRedis();

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const running: Studio[] = [];
const open = async (options: { write?: boolean } = {}): Promise<Studio> => {
  const studio = await openStudio(options);
  running.push(studio);
  return studio;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((studio) => studio.close()));
});

const PAGES = [
  "/",
  "/static/studio.css",
  "/static/studio.js",
  "/models/Book",
  "/models/Book?filter=pages__gte%3D300",
  "/models/Book/stats",
  "/models/Book/instance?key=Book%3ADune",
  "/models/Book/health?run=1",
  "/models/Nope",
];

describe("studio: listens on 127.0.0.1 by default", () => {
  it("binds the loopback address unless told otherwise", async () => {
    const studio = await open();
    const address = studio.server.address();
    expect(typeof address === "object" && address !== null ? address.address : address).toBe("127.0.0.1");
    expect(studio.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
    const other = await open();
    expect(other.token).not.toBe(studio.token); // random per start
  });

  it("`popoto studio` prints a 127.0.0.1 address with the token, serves it, and stops on SIGINT", async () => {
    await seedLibrary();
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli/main.ts",
        "studio",
        "--models",
        "test/fixtures/studio-models.ts",
        "--url",
        TEST_URL,
        "--port",
        "0",
      ],
      { cwd: ROOT, env: { ...process.env, REDIS_URL: TEST_URL }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const url = await new Promise<URL>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /Open (http:\/\/\S+)/.exec(stdout);
        if (found) resolve(new URL(found[1] as string));
      });
      void exited.then(() => reject(new Error(`studio exited early: ${stderr}`)));
    });
    try {
      expect(url.hostname).toBe("127.0.0.1");
      expect(url.searchParams.get("token")).toMatch(/^[0-9a-f]{64}$/);
      expect(stdout).toMatch(/read-only/);
      const studio = { port: Number(url.port), token: url.searchParams.get("token") as string } as Studio;
      const first = await http(studio, `/?token=${studio.token}`);
      expect(first.status).toBe(303);
      expect(String(first.headers["set-cookie"])).toContain(
        `${tokenCookie(studio)}; HttpOnly; SameSite=Strict`,
      );
      const home = await get(studio, "/");
      expect(home.status).toBe(200);
      expect(home.body).toContain('href="/models/Book"');
      expect((await http(studio, "/")).status).toBe(403);
    } finally {
      child.kill("SIGINT");
    }
    expect(await exited).toBe(0);
  });

  it("rejects studio options on other commands, and bad ports", async () => {
    const run = (...args: string[]): Promise<{ code: number; stderr: string }> =>
      new Promise((resolve) =>
        execFile(
          process.execPath,
          ["--import", "tsx", "src/cli/main.ts", ...args],
          { cwd: ROOT },
          (error, _out, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr }),
        ),
      );
    const [write, port] = await Promise.all([
      run("check", "--models", "test/fixtures/studio-models.ts", "--write"),
      run("studio", "--models", "test/fixtures/studio-models.ts", "--port", "http"),
    ]);
    expect(write.code).toBe(2);
    expect(write.stderr).toMatch(/--write is an option of popoto studio, not of popoto check/);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port http: give a port number/);
  });
});

describe("studio: a token on every request", () => {
  it("refuses every page without the token, or with a wrong one", async () => {
    await seedLibrary();
    const studio = await open();
    const wrong = studio.token.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    for (const path of PAGES) {
      const none = await http(studio, path);
      expect(none.status, path).toBe(403);
      expect(none.body, path).not.toContain("Book:Dune");
      const sep = path.includes("?") ? "&" : "?";
      expect((await http(studio, `${path}${sep}token=${wrong}`)).status, path).toBe(403);
      expect(
        (await http(studio, path, { headers: { cookie: `popoto_studio_${studio.port}=${wrong}` } })).status,
        path,
      ).toBe(403);
      expect(
        (await http(studio, path, { headers: { cookie: `popoto_studio_${studio.port}=` } })).status,
        path,
      ).toBe(403);
      // With the token, the page answers (404 for the unknown model, after the token check).
      expect((await get(studio, path)).status, path).toBe(path === "/models/Nope" ? 404 : 200);
    }
  });

  it("refuses a Host header that is not the loopback address (DNS rebinding)", async () => {
    const studio = await open();
    const headers = { cookie: tokenCookie(studio) };
    expect(
      (await http(studio, "/", { headers: { ...headers, host: `evil.example:${studio.port}` } })).status,
    ).toBe(403);
    expect(
      (await http(studio, "/", { headers: { ...headers, host: `127.0.0.1:${studio.port + 1}` } })).status,
    ).toBe(403);
    expect(
      (await http(studio, "/", { headers: { ...headers, host: `localhost:${studio.port}` } })).status,
    ).toBe(200);
  });

  it("turns the printed URL's token into a cookie and drops it from the address", async () => {
    const studio = await open();
    const reply = await http(studio, `/models/Book?filter=genre%3Dsf&token=${studio.token}`);
    expect(reply.status).toBe(303);
    expect(reply.headers["location"]).toBe("/models/Book?filter=genre%3Dsf");
    expect(String(reply.headers["set-cookie"])).toBe(
      `${tokenCookie(studio)}; HttpOnly; SameSite=Strict; Path=/`,
    );
  });
});

describe("studio: writes need --write and a POST with the token", () => {
  const breakIndex = async (): Promise<void> => {
    await seedLibrary();
    await raw.sadd("$KeyF:Book:title:Ghost", "Book:Ghost");
  };
  const form = (token: string | undefined, action = "clean"): string =>
    new URLSearchParams({ ...(token === undefined ? {} : { token }), action }).toString();
  const post = (studio: Studio, body: string, path = "/models/Book/repair") =>
    http(studio, path, {
      method: "POST",
      headers: { cookie: tokenCookie(studio), "content-type": "application/x-www-form-urlencoded" },
      body,
    });

  it("refuses repairs when read-only, even with the token, and shows no repair button", async () => {
    await breakIndex();
    const studio = await open();
    const reply = await post(studio, form(studio.token));
    expect(reply.status).toBe(403);
    expect(reply.body).toContain("read-only");
    expect(await raw.sismember("$KeyF:Book:title:Ghost", "Book:Ghost")).toBe(1);
    const health = await get(studio, "/models/Book/health?run=1");
    expect(health.body).not.toContain('<form method="post"');
    expect(health.body).toContain("$KeyF:Book:title:Ghost");
  });

  it("with --write, refuses GETs and POSTs without the form token, and repairs with it", async () => {
    await breakIndex();
    const studio = await open({ write: true });
    expect((await get(studio, "/models/Book/repair?action=clean")).status).toBe(405);
    expect((await post(studio, form(undefined))).status).toBe(403); // the cookie alone is not enough
    expect((await post(studio, form("0".repeat(64)))).status).toBe(403);
    expect((await post(studio, form(studio.token), "/models/Book")).status).toBe(405);
    expect(await raw.sismember("$KeyF:Book:title:Ghost", "Book:Ghost")).toBe(1);

    const health = await get(studio, "/models/Book/health");
    expect(health.body).toContain(`name="token" value="${studio.token}"`);
    const done = await post(studio, form(studio.token));
    expect(done.status).toBe(303);
    expect(done.headers["location"]).toBe(
      "/models/Book/health?run=1&action=clean&removed=1&added=0&purged=1",
    );
    expect(await raw.exists("$KeyF:Book:title:Ghost")).toBe(0);
  });
});

describe("studio: stored values are escaped", () => {
  it("shows a field holding <script> as text on the table and instance pages", async () => {
    const { xss } = await seedLibrary();
    const studio = await open();
    const escaped =
      "&lt;script&gt;window.__studioXss = 1&lt;/script&gt;&lt;img src=x onerror=&quot;window.__studioXss = 2&quot;&gt;";
    const table = await get(studio, "/models/Book?order=pages");
    const instance = await get(studio, `/models/Book/instance?key=${encodeURIComponent(xss.redisKey)}`);
    for (const page of [table, instance]) {
      expect(page.status).toBe(200);
      expect(page.body).not.toContain("<script>window");
      expect(page.body).not.toContain("<img");
      expect(page.body).toContain(escaped);
      expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    }
    expect(SCRIPT_VALUE).toContain("<script>");
  });

  it("escapes what the user typed: filter text, error messages, unknown names", async () => {
    const studio = await open();
    const filter = await get(studio, `/models/Book?filter=${encodeURIComponent('"><script>x()</script>=1')}`);
    expect(filter.status).toBe(400);
    expect(filter.body).not.toContain("<script>x()");
    expect(filter.body).toContain("&lt;script&gt;x()");
    const name = await get(studio, `/models/${encodeURIComponent("<b>x</b>")}`);
    expect(name.status).toBe(404);
    expect(name.body).not.toContain("<b>x</b>");
    expect(name.body).toContain("&lt;b&gt;x&lt;/b&gt;");
  });
});
