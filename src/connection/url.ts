import { ConnectionError } from "../errors.js";
import { redactUrl } from "./redact.js";

/** What a Redis URL names, checked before anything connects. */
export interface RedisTarget {
  /** The URL as given (with its password: pass it to the driver only). */
  readonly url: string;
  /** The URL with its password replaced by `***`, for every message. */
  readonly shown: string;
  readonly host: string;
  readonly port: number;
  /** The database index from the path (`/2`), 0 when absent. */
  readonly db: number;
  /** `rediss://`: TLS. */
  readonly tls: boolean;
  readonly username: string | undefined;
  readonly password: string | undefined;
}

const FIX =
  "Write it as redis://[user:password@]host:port/db (or rediss://… for TLS), e.g. redis://127.0.0.1:6379/0.";

const invalid = (shown: string, problem: string): ConnectionError =>
  new ConnectionError(
    `popoto cannot connect to ${JSON.stringify(shown)}: ${problem} ${FIX}`,
    undefined,
    "invalid-url",
  );

/**
 * Parses and checks a Redis URL: scheme redis:// or rediss://, a host, a port, a database index.
 * Throws a ConnectionError (reason "invalid-url") instead of letting the driver guess: ioredis
 * reads "localhost:6379" as a host named "localhost:" on db 0, and an http:// URL as a socket path.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const shown = redactUrl(url);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url))
    throw invalid(shown, `the URL has no scheme (redis:// or rediss://).`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(shown, `it is not a valid URL.`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw invalid(
      shown,
      `${parsed.protocol}// is not a Redis URL scheme; use redis:// (or rediss:// for TLS).`,
    );
  if (parsed.hostname === "") throw invalid(shown, `the URL names no host.`);
  const path = parsed.pathname;
  let db = 0;
  if (path !== "" && path !== "/") {
    const match = /^\/(\d{1,9})\/?$/.exec(path);
    if (!match)
      throw invalid(
        shown,
        `the path ${JSON.stringify(decodeURIComponent(path))} is not a database index (a number such as /0 or /2).`,
      );
    db = Number(match[1]);
  }
  return {
    url,
    shown,
    host: parsed.hostname,
    port: parsed.port === "" ? 6379 : Number(parsed.port),
    db,
    tls: parsed.protocol === "rediss:",
    username: parsed.username === "" ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === "" ? undefined : decodeURIComponent(parsed.password),
  };
}
