/**
 * Test support for the studio: a studio on a free port over the studio fixture's models, and raw
 * HTTP requests to it (node:http, so Host headers and bodies can be set exactly).
 */
import { request } from "node:http";
import type { Redis } from "ioredis";
import type { CliModel } from "../../src/cli/load-models.js";
import { getConnection } from "../../src/index.js";
import { startStudio, type Studio } from "../../src/studio/server.js";
import { Author, Book, Publisher, Review, Shelf } from "../fixtures/studio-models.js";
import { TEST_URL } from "./redis.js";

/** The fixture's models, in definition order. */
export const STUDIO_MODELS: readonly CliModel[] = [Publisher, Author, Book, Shelf, Review];

/** Starts a studio on 127.0.0.1 and a free port, on popoto's connection (the test database). */
export const openStudio = (options: { write?: boolean; host?: string } = {}): Promise<Studio> =>
  startStudio({
    models: STUDIO_MODELS,
    redis: getConnection() as Redis,
    port: 0,
    write: options.write ?? false,
    host: options.host,
    redisLabel: TEST_URL,
  });

export interface HttpReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request to the studio; `path` may hold a query string. */
export function http(
  studio: Studio,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: studio.port,
        path,
        method: options.method ?? "GET",
        headers: { host: `127.0.0.1:${studio.port}`, ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

/** The cookie header that carries the studio's token (what the first visit sets). */
export const tokenCookie = (studio: Studio): string => `popoto_studio_${studio.port}=${studio.token}`;

/** A GET with the token cookie. */
export const get = (studio: Studio, path: string): Promise<HttpReply> =>
  http(studio, path, { headers: { cookie: tokenCookie(studio) } });
