/**
 * The studio's HTTP server (node:http, no framework): routes, access checks, and the responses.
 * Every request passes `checkAccess` (Host header, token) before anything else; writes are POSTs
 * with the token in the body, accepted only when the studio runs with --write.
 *
 * Over 300 lines: one route table with its handlers, kept together so every route is seen to pass
 * the same access check (the pages themselves live in studio/pages/).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Redis } from "ioredis";
import { classSet } from "../keys/keys.js";
import type { IndexReport } from "../maintenance/indexes.js";
import type { CliModel } from "../cli/load-models.js";
import { modelStats } from "../cli/commands/inspect.js";
import { SCRIPT, STYLES } from "./assets.js";
import { bytesText, count } from "./format.js";
import { href, html, modelPath, type SafeHtml } from "./html.js";
import { healthPage, type RepairNote } from "./pages/health.js";
import { homePage } from "./pages/home.js";
import { instancePage } from "./pages/instance.js";
import { layout, type StudioView } from "./pages/layout.js";
import { modelPage } from "./pages/model.js";
import { readInstance } from "./read-instance.js";
import { PAGE_SIZE, readModelPage } from "./read-model.js";
import { checkAccess, newToken, sameToken, SECURITY_HEADERS, tokenCookie } from "./security.js";

/** How to run the studio. */
export interface StudioOptions {
  readonly models: readonly CliModel[];
  /** The client popoto uses (the models' queries go through popoto's own connection). */
  readonly redis: Redis;
  /** Address to listen on; 127.0.0.1 unless the user asks otherwise. */
  readonly host?: string | undefined;
  /** Port; 0 picks a free one. Default 5555. */
  readonly port?: number | undefined;
  /** Allow the repair buttons (POSTs with the token). Default false: read-only. */
  readonly write?: boolean | undefined;
  /** The token to require; a random one by default. */
  readonly token?: string | undefined;
  /** How to name the Redis on the page (a URL without its password). */
  readonly redisLabel?: string | undefined;
}

/** A running studio. */
export interface Studio {
  /** The address to open, token included. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly server: Server;
  close(): Promise<void>;
}

export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 5555;
/** Largest `?size=` of a model's table. */
export const MAX_PAGE_SIZE = 500;
/** Largest POST body read (a repair form is a few hundred bytes). */
const MAX_BODY = 16 * 1024;

/** A response the router decided on. */
type Reply =
  | {
      readonly status: number;
      readonly html: SafeHtml;
      readonly headers?: Readonly<Record<string, string>> | undefined;
    }
  | { readonly status: number; readonly json: object }
  | {
      readonly status: number;
      readonly text: string;
      readonly type: string;
      readonly headers?: Readonly<Record<string, string>> | undefined;
    }
  | {
      readonly status: 303;
      readonly location: string;
      readonly headers?: Readonly<Record<string, string>> | undefined;
    };

/** A plain page outside the layout (refusals show nothing of the models). */
const bare = (status: number, title: string, message: string, headers?: Record<string, string>): Reply => ({
  status,
  headers,
  html: html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${title} · popoto studio</title>
        <link rel="stylesheet" href="/static/studio.css" />
      </head>
      <body>
        <div class="denied card">
          <h1>${title}</h1>
          <p>${message}</p>
        </div>
      </body>
    </html>`,
});

const intParam = (url: URL, name: string, fallback: number, min: number, max: number): number => {
  const n = Number.parseInt(url.searchParams.get(name) ?? "", 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, n)) : fallback;
};

async function readBody(request: IncomingMessage): Promise<URLSearchParams | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** The request handler of a studio: routes to pages once access is granted. */
export function studioHandler(
  options: StudioOptions & { readonly token: string; readonly host: string },
  port: () => number,
): (request: IncomingMessage, response: ServerResponse) => void {
  const byName = new Map(options.models.map((model) => [model.modelName, model]));
  const metas = options.models.map((model) => model.meta);
  const view: StudioView = {
    models: options.models.map((model) => model.modelName),
    redis: options.redisLabel ?? "redis",
    write: options.write === true,
    token: options.token,
  };
  const notFound = (what: string): Reply => ({
    status: 404,
    html: layout(
      view,
      { title: "Not found", crumbs: [{ label: "Not found" }] },
      html`<h1>Not found</h1>
        <p>${what}</p>`,
    ),
  });

  async function route(request: IncomingMessage, url: URL): Promise<Reply> {
    const method = request.method ?? "GET";
    const path = url.pathname;
    if (method !== "GET" && method !== "HEAD" && method !== "POST")
      return bare(405, "Method not allowed", `${method} is not used by the studio.`, { Allow: "GET, POST" });

    if (path === "/static/studio.css") return { status: 200, text: STYLES, type: "text/css; charset=utf-8" };
    if (path === "/static/studio.js")
      return { status: 200, text: SCRIPT, type: "text/javascript; charset=utf-8" };

    const match = /^\/models\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
    const isRepair = match?.[2] === "repair";
    if (method === "POST" && !isRepair)
      return bare(405, "Method not allowed", "Only repairs are POSTed.", { Allow: "GET" });
    if (isRepair && method !== "POST")
      return bare(405, "Method not allowed", "A repair is a POST from the index health page.", {
        Allow: "POST",
      });

    if (path === "/") {
      const pipeline = options.redis.pipeline();
      for (const model of options.models) pipeline.scard(classSet(model.meta));
      const results = (await pipeline.exec()) ?? [];
      const summaries = options.models.map((model, i) => ({
        meta: model.meta,
        instances: Number(results[i]?.[1] ?? 0),
      }));
      return { status: 200, html: homePage(view, summaries) };
    }
    if (!match) return notFound(`No page at ${path}.`);
    const name = decodeURIComponent(match[1] as string);
    const model = byName.get(name);
    if (!model)
      return notFound(`No model named "${name}" in this studio (models: ${view.models.join(", ")}).`);
    const meta = model.meta;

    switch (match[2]) {
      case undefined: {
        const page = await readModelPage(options.redis, meta, {
          filter: url.searchParams.get("filter") ?? "",
          order: url.searchParams.get("order") ?? "",
          page: intParam(url, "page", 1, 1, Number.MAX_SAFE_INTEGER),
          size: intParam(url, "size", PAGE_SIZE, 1, MAX_PAGE_SIZE),
        });
        return { status: page.error ? 400 : 200, html: modelPage(view, meta, page) };
      }
      case "stats": {
        const stats = await modelStats(options.redis, model);
        return {
          status: 200,
          json: {
            indexKeys: count(stats.indexKeys),
            indexEntries: count(stats.indexEntries),
            indexMemory: bytesText(stats.indexMemoryBytes),
            hashMemory: `~${bytesText(stats.instanceMemory.estimatedBytes)}`,
          },
        };
      }
      case "instance": {
        const key = url.searchParams.get("key");
        if (key === null || key === "") return notFound("Name the instance: ?key=<instance key>.");
        const detail = await readInstance(options.redis, meta, key, metas);
        return { status: detail.instance.exists ? 200 : 404, html: instancePage(view, meta, detail) };
      }
      case "health": {
        const result: IndexReport | undefined =
          url.searchParams.get("run") === "1" ? await model.checkIndexes() : undefined;
        const action = url.searchParams.get("action");
        const repaired: RepairNote | undefined =
          action === "clean" || action === "rebuild"
            ? {
                action,
                removed: intParam(url, "removed", 0, 0, Number.MAX_SAFE_INTEGER),
                added: intParam(url, "added", 0, 0, Number.MAX_SAFE_INTEGER),
                purged: intParam(url, "purged", 0, 0, Number.MAX_SAFE_INTEGER),
              }
            : undefined;
        return { status: 200, html: healthPage(view, meta, result, repaired) };
      }
      case "repair": {
        if (!view.write)
          return bare(403, "Read-only", "This studio is read-only: start it with --write to repair indexes.");
        const form = await readBody(request);
        if (!form || !sameToken(form.get("token") ?? undefined, options.token))
          return bare(
            403,
            "Forbidden",
            "A repair needs the studio's token in the form (use the buttons on the index health page).",
          );
        const action = form.get("action");
        if (action !== "clean" && action !== "rebuild")
          return bare(400, "Bad request", 'The repair action is "clean" or "rebuild".');
        const result = action === "clean" ? await model.cleanIndexes() : await model.rebuildIndexes();
        return {
          status: 303,
          location: href(modelPath(name, "health"), {
            run: 1,
            action,
            removed: result.removed,
            added: result.added,
            purged: result.purged,
          }),
        };
      }
      default:
        return notFound(`No page at ${path}.`);
    }
  }

  const send = (response: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void => {
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      ...extra,
      ...("headers" in reply ? reply.headers : {}),
    };
    if ("location" in reply) {
      response.writeHead(reply.status, { ...headers, Location: reply.location }).end();
      return;
    }
    let body: string;
    if ("html" in reply) {
      headers["Content-Type"] = "text/html; charset=utf-8";
      body = reply.html.toString();
    } else if ("json" in reply) {
      headers["Content-Type"] = "application/json; charset=utf-8";
      body = JSON.stringify(reply.json);
    } else {
      headers["Content-Type"] = reply.type;
      body = reply.text;
    }
    response.writeHead(reply.status, headers).end(body);
  };

  return (request, response) => {
    const url = new URL(request.url ?? "/", "http://studio.invalid");
    const access = checkAccess(request.headers, url, {
      token: options.token,
      host: options.host,
      port: port(),
    });
    if (!access.ok) {
      // Drain a refused body so the socket can answer; nothing of it is read.
      request.resume();
      send(response, bare(403, "Forbidden", access.why));
      return;
    }
    if (access.via === "query" && request.method === "GET") {
      // The printed URL's token becomes a cookie; the address bar and later links drop it.
      url.searchParams.delete("token");
      send(
        response,
        { status: 303, location: `${url.pathname}${url.search}` },
        { "Set-Cookie": tokenCookie(port(), options.token) },
      );
      return;
    }
    route(request, url).then(
      (reply) => send(response, reply),
      (error: unknown) => {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (response.headersSent) response.end();
        else
          send(response, {
            status: 500,
            html: layout(
              view,
              { title: "Error", crumbs: [{ label: "Error" }] },
              html`<h1>Something failed</h1>
                <div class="alert error" role="alert"><span class="msg">${message}</span></div>`,
            ),
          });
      },
    );
  };
}

const urlHost = (host: string): string => (host.includes(":") ? `[${host}]` : host);

/** Starts the studio; resolves once it listens. */
export function startStudio(options: StudioOptions): Promise<Studio> {
  const host = options.host ?? DEFAULT_HOST;
  const token = options.token ?? newToken();
  let port = options.port ?? DEFAULT_PORT;
  const server = createServer(studioHandler({ ...options, host, token }, () => port));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${urlHost(host)}:${port}/?token=${token}`,
        host,
        port,
        token,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
