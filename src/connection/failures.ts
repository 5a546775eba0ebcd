/**
 * Turns what the driver reports (socket errors, TLS errors, Redis error replies, timeouts) into
 * popoto errors that name the failure, its stable code and reason, and the fix. Every message and
 * cause goes through redaction: a password never appears in them.
 */
import {
  AuthenticationError,
  clause,
  CommandTimeoutError,
  ConnectionError,
  PermissionError,
  PopotoError,
  RedisCommandError,
  TlsError,
} from "../errors.js";
import { clusterError, isTopologyError } from "./cluster-errors.js";
import { commandArgs, commandName, redactSecrets, sanitizeError } from "./redact.js";

/** Where popoto is connected, for messages. */
export interface FailureContext {
  /** The URL with its password replaced, or a description of the client passed in. */
  readonly shown: string;
  readonly tls: boolean;
  /** The per-command deadline in ms (0: none). */
  readonly commandTimeout: number;
  /** The database index. */
  readonly db: number;
}

let context: FailureContext = { shown: "Redis", tls: false, commandTimeout: 0, db: 0 };

/** Sets what messages name as the server (called by connect()). */
export function setFailureContext(next: FailureContext): void {
  context = next;
}

/** The error of a command whose connection closed before its reply arrived. */
export const IN_FLIGHT_LOST = "Connection closed before the reply arrived";

/** ioredis's rejection of a command that passed its `commandTimeout`. */
const TIMED_OUT = "Command timed out";

const codeOf = (error: Error): string => {
  const code = (error as Error & { code?: unknown }).code;
  return typeof code === "string" ? code : "";
};

const at = (): string => `Redis at ${context.shown}`;

/** TLS error codes meaning the peer's (or our) certificate was not accepted. */
const isCertificateCode = (code: string, message: string): boolean =>
  /CERT|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|SELF_SIGNED|INVALID_CA|UNKNOWN_CA/.test(code) ||
  /certificate/i.test(message);

/**
 * The named failure behind a driver error met while connecting (or reconnecting), or undefined
 * when it is not a connection failure (e.g. an ordinary error reply).
 */
export function describeConnectFailure(error: unknown, handshake = false): ConnectionError | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error instanceof ConnectionError) return error;
  const cause = sanitizeError(error);
  const message = error.message;
  const code = codeOf(error);
  if (message.startsWith("WRONGPASS") || /invalid password|invalid username-password/i.test(message))
    return new AuthenticationError(
      `${at()} refused the credentials (WRONGPASS): the password is wrong, or the ACL user does not ` +
        `exist or is disabled. Fix the user and password in the URL (redis://user:password@host:port/db, ` +
        `or REDIS_URL); on the server, ACL LIST shows the users.`,
      cause,
      "wrong-password",
    );
  if (message.startsWith("NOAUTH"))
    return new AuthenticationError(
      `${at()} requires authentication (NOAUTH) and no password was given. Put the user and password ` +
        `in the URL: redis://user:password@host:port/db (or REDIS_URL).`,
      cause,
      "no-auth",
    );
  if (
    message.includes("DB index is out of range") ||
    (commandName(error) === "select" && message.startsWith("ERR"))
  )
    return new ConnectionError(
      `${at()}: database ${context.db} does not exist on this server (${redactSecrets(message)}); ` +
        `nothing was read or written. Use an index below the server's \`databases\` setting (16 by default).`,
      cause,
      "no-database",
    );
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return new TlsError(
      `TLS to ${context.shown}: the server's certificate does not name this host (${redactSecrets(message)}). ` +
        `Connect with the host name the certificate was issued for, or pass redisOptions: { tls: { servername } } ` +
        `(CLI: --tls-servername) naming it.`,
      cause,
      "hostname",
    );
  if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE/.test(code))
    return new TlsError(
      `TLS to ${context.shown}: the server did not accept the client certificate (${code}). It requires ` +
        `one signed by a CA it trusts: pass redisOptions: { tls: { cert, key } } (CLI: --tls-cert, --tls-key).`,
      cause,
      "certificate",
    );
  if (isCertificateCode(code, message) && !code.startsWith("ERR_SSL_"))
    return new TlsError(
      `TLS to ${context.shown}: the server's certificate is not trusted (${code || redactSecrets(message)}). ` +
        `Pass the CA that signed it: redisOptions: { tls: { ca: readFileSync("ca.crt") } } ` +
        `(CLI: --tls-ca ca.crt, or POPOTO_TLS_CA); if it has expired, renew it on the server.`,
      cause,
      "certificate",
    );
  if (code.startsWith("ERR_SSL_") || code === "EPROTO")
    return new TlsError(
      `TLS to ${context.shown}: the handshake failed on the protocol (${code}). The server and client share ` +
        `no TLS version (see tls-protocols on the server and tls.minVersion in redisOptions), or the port ` +
        `does not speak TLS: use redis:// for a plain port.`,
      cause,
      "protocol",
    );
  if (code === "ECONNREFUSED")
    return new ConnectionError(
      `popoto could not connect to ${at()}: nothing is listening there (ECONNREFUSED). Start redis-server, ` +
        `or pass the right URL to connect() (or in REDIS_URL).`,
      cause,
      "nothing-listening",
    );
  if (["ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EHOSTDOWN"].includes(code))
    return new ConnectionError(
      `popoto could not connect to ${at()}: the host cannot be reached (${code}). Check the host name, ` +
        `the network and firewalls` +
        (context.tls && code === "ETIMEDOUT"
          ? `; a rediss:// URL on a plain (non-TLS) port also waits until this timeout: use redis:// there.`
          : `.`),
      cause,
      "unreachable",
    );
  if ((code === "ECONNRESET" || code === "EPIPE") && handshake && context.tls)
    // With TLS 1.3 the server checks the client certificate after the client's side of the
    // handshake is done, so a refused certificate often shows as a reset rather than an alert.
    return new TlsError(
      `TLS to ${context.shown}: the server closed the connection during the handshake (${code}), which is ` +
        `how a server that requires a client certificate (tls-auth-clients yes) refuses one that is missing ` +
        `or not signed by a CA it trusts: pass redisOptions: { tls: { cert, key } } (CLI: --tls-cert, --tls-key). ` +
        `If it does not, check that Redis is running.`,
      cause,
      "certificate",
    );
  if (code === "ECONNRESET" || code === "EPIPE")
    return new ConnectionError(
      `${at()} closed the connection (${code})` +
        (context.tls
          ? `. Check that Redis is running and reachable; the client keeps reconnecting.`
          : `: if this port expects TLS, connect with rediss:// (a plain client on a TLS port is dropped ` +
            `during the handshake); otherwise check that Redis is running.`),
      cause,
      "handshake",
    );
  return undefined;
}

/** True for failures that retrying cannot fix: credentials, TLS set-up, a missing database. */
export const isFatalFailure = (error: ConnectionError): boolean =>
  error.code === "AUTH" ||
  error.code === "TLS" ||
  error.reason === "no-database" ||
  error.reason === "invalid-url";

/** The refused command and keys of a NOPERM reply (EVALSHA's keys follow its numkeys argument). */
function refused(error: Error): { command: string; keys: string[] } {
  const name = (commandName(error) ?? "unknown").toUpperCase();
  const args = commandArgs(error).map((a) => (Buffer.isBuffer(a) ? a.toString() : String(a)));
  if ((name === "EVALSHA" || name === "EVAL") && args.length >= 2) {
    const count = Number(args[1]);
    return { command: name, keys: Number.isInteger(count) ? args.slice(2, 2 + count) : [] };
  }
  return { command: name, keys: name === "PUBLISH" || name === "SUBSCRIBE" ? [] : args.slice(0, 1) };
}

function permissionError(error: Error): PermissionError {
  const { command, keys } = refused(error);
  const inScript = !error.message.startsWith("NOPERM");
  const what = /keys|key/i.test(error.message)
    ? `access to ${keys.length > 0 ? keys.slice(0, 5).join(", ") : "a key"} (${command}${inScript ? ", inside a popoto script" : ""})`
    : inScript
      ? `a command inside a popoto script (${command} of ${keys.length} keys)`
      : `the ${command} command`;
  return new PermissionError(
    `The Redis user popoto connects as (${context.shown}) is not allowed ${what}: ` +
      `${clause(redactSecrets(error.message))}. Nothing was written. Grant the ACL rule in the README ` +
      `("Least privilege"), e.g. ACL SETUSER <user> +<command> ~<pattern>.`,
    sanitizeError(error),
    command,
    keys,
  );
}

/** Turns ioredis transport failures and Redis error replies into PopotoErrors that say what to do. */
export function wrapRedisError(error: unknown, keys: readonly string[] = []): unknown {
  if (!(error instanceof Error) || error instanceof PopotoError) return error;
  const message = error.message;
  if (isTopologyError(error)) return clusterError(error, keys);
  if (message.startsWith("OOM "))
    return new RedisCommandError(
      `Redis refused the command: it is out of memory (maxmemory with noeviction). Nothing was written. ` +
        `Free memory or raise maxmemory, then retry. (${message})`,
      sanitizeError(error),
    );
  if (message.startsWith("WRONGTYPE"))
    return new RedisCommandError(
      `A key popoto reads or writes holds another Redis type (written by another client?). ` +
        `Find it with \`npx popoto check\` and delete or repair it. (${message})`,
      sanitizeError(error),
    );
  if (message.startsWith("NOPERM") || /user executing the script can't/.test(message))
    return permissionError(error);
  const named = describeConnectFailure(error);
  if (named !== undefined && (named.code !== "CONNECTION" || named.reason === "no-database")) return named;
  if (error.name === "ReplyError")
    return new RedisCommandError(
      `Redis answered with an error: ${redactSecrets(message)}`,
      sanitizeError(error),
    );
  if (message === IN_FLIGHT_LOST)
    return new ConnectionError(
      `The connection to Redis closed before the reply arrived: the command may or may not have run ` +
        `(a write is applied entirely or not at all). Check, then retry if needed; the client reconnects by itself.`,
      error,
      "lost-reply",
    );
  if (message === TIMED_OUT)
    return new CommandTimeoutError(
      `${at()} did not answer within the command deadline (commandTimeout ${context.commandTimeout} ms): ` +
        `the server is hung or the network drops packets. A write may or may not have run (it is applied ` +
        `entirely or not at all): check, then retry. Raise connect({ commandTimeout }) for commands that ` +
        `legitimately take longer.`,
      sanitizeError(error),
      context.commandTimeout,
    );
  const transport =
    error.name === "MaxRetriesPerRequestError" ||
    /Connection is closed|ECONNREFUSED|ECONNRESET|Stream isn't writeable|enableOfflineQueue/.test(message);
  if (!transport) return error;
  const behind = lastFailure();
  return new ConnectionError(
    `Redis command failed after retries: ${clause(redactSecrets(message))}` +
      (behind ? ` (last connection error: ${clause(behind.message)})` : "") +
      `. Check that ${context.shown} is reachable; the client keeps reconnecting in the background.`,
    sanitizeError(error),
    behind?.reason === "nothing-listening" || behind?.reason === "unreachable" ? behind.reason : "closed",
  );
}

let last: ConnectionError | undefined;

/** Records the latest named failure of the current connection (from its "error" events). */
export function recordFailure(error: ConnectionError | undefined): void {
  last = error;
}

/** The latest named failure of the current connection, if any. */
export const lastFailure = (): ConnectionError | undefined => last;

/** True for the error of a command whose reply was lost with its connection (it may have run). */
export const isLostReply = (error: unknown): boolean =>
  error instanceof ConnectionError && error.cause instanceof Error && error.cause.message === IN_FLIGHT_LOST;
