/**
 * The studio's access rules, apart from the server so each is a small pure function:
 * - a random token, printed in the URL, is required on every request (query `token`, or the
 *   cookie the first request sets, so later links need not carry it);
 * - when bound to a loopback address, the Host header must name it (a page on another site cannot
 *   reach the studio through a DNS name rebound to 127.0.0.1);
 * - writes are POSTs carrying the token in the form body (a cookie alone does not authorize a
 *   write, so another site cannot forge one), and only when the studio runs with --write.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** A fresh token: 32 random bytes as hex. */
export const newToken = (): string => randomBytes(32).toString("hex");

/** Constant-time comparison, so the token cannot be guessed a character at a time. */
export function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The cookie carrying the token: one per port, so two studios on one host do not clash. */
export const cookieName = (port: number): string => `popoto_studio_${port}`;

/** Cookie header value that stores the token for this studio (HttpOnly, SameSite=Strict, path /). */
export const tokenCookie = (port: number, token: string): string =>
  `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`;

/** The value of one cookie in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/** Whether `host` is a loopback address (the default bind). */
export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || host.startsWith("127.");

/**
 * Whether the Host header fits the address the studio listens on. Bound to loopback, only
 * loopback names with the right port pass; bound elsewhere (the user chose --host), any does.
 */
export function hostAllowed(header: string | undefined, boundHost: string, port: number): boolean {
  if (!isLoopback(boundHost)) return true;
  if (header === undefined) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(header.trim().toLowerCase());
  if (!match) return false;
  const [, name = "", givenPort] = match;
  return isLoopback(name) && Number(givenPort ?? 80) === port;
}

/** How a request authenticated, or why it is refused. */
export type Access =
  { readonly ok: true; readonly via: "query" | "cookie" } | { readonly ok: false; readonly why: string };

/** Checks the Host header and the token (query parameter first, then cookie). */
export function checkAccess(
  headers: IncomingHttpHeaders,
  url: URL,
  options: { readonly token: string; readonly host: string; readonly port: number },
): Access {
  if (!hostAllowed(headers.host, options.host, options.port))
    return { ok: false, why: `Host "${headers.host ?? ""}" is not this studio's address.` };
  if (sameToken(url.searchParams.get("token") ?? undefined, options.token)) return { ok: true, via: "query" };
  if (sameToken(readCookie(headers.cookie, cookieName(options.port)), options.token))
    return { ok: true, via: "cookie" };
  return {
    ok: false,
    why: "Missing or wrong token: open the URL popoto studio printed (it carries the token).",
  };
}

/**
 * Response headers of every page: no caching, no framing, no referrer (the URL may hold the
 * token), and a content security policy allowing only the studio's own script and styles, so
 * even markup that escaped escaping could not run a script.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
};
