/**
 * Secrets never leave popoto: passwords in URLs and options are replaced by `***` in every
 * message, error, CLI line and log line popoto produces. The driver's own errors can carry them
 * too (ioredis attaches the failed command's arguments, so a failed AUTH names its password), so
 * errors are copied without them before popoto hands them on as a `cause`.
 */

/** Secrets given to connect(), replaced wherever they appear in text popoto prints. */
const secrets = new Set<string>();

/** Shorter secrets would blank out ordinary words; they are still redacted inside URLs. */
const MIN_SECRET_LENGTH = 4;

/** Remembers secrets (passwords, key passphrases) to redact from now on. */
export function rememberSecrets(...values: readonly (string | undefined)[]): void {
  for (const value of values)
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

/** `scheme://user:password@` anywhere in a text: the password part is replaced. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):([^\s@/]*)@/gi;

/** `user:password@host` at the start of a URL written without its scheme. */
const BARE_USERINFO = /^([^\s:@/]*):([^\s@/]*)@/;

/** The URL with its password (if any) replaced by `***`: `redis://app:***@host:6379/1`. */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, "$1:***@").replace(BARE_USERINFO, "$1:***@");
}

/**
 * The text with every URL password and every remembered secret replaced by `***`. Use it for
 * anything you log that may contain a Redis URL or a popoto error message.
 * @example redactSecrets("redis://app:pw@db:6379/1") // "redis://app:***@db:6379/1"
 */
export function redactSecrets(text: string): string {
  let out = redactUrl(text);
  for (const secret of secrets) out = out.split(secret).join("***");
  return out;
}

/** Commands whose arguments are credentials. */
const CREDENTIAL_COMMANDS = new Set(["auth", "hello", "acl", "migrate", "config"]);

/** True for a command whose arguments may be credentials (AUTH, HELLO … AUTH, ACL SETUSER, …). */
export const isCredentialCommand = (name: string): boolean => CREDENTIAL_COMMANDS.has(name.toLowerCase());

/**
 * A copy of a driver error that is safe to log: message and stack redacted, `code` kept, the
 * failed command reduced to its name (its arguments may be a password or stored data).
 */
export function sanitizeError(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(redactSecrets(String(error)));
  const copy = new Error(redactSecrets(error.message));
  copy.name = error.name;
  if (error.stack !== undefined) copy.stack = redactSecrets(error.stack);
  const extra = error as Error & { code?: unknown; errno?: unknown; syscall?: unknown; command?: unknown };
  const target = copy as Error & { code?: unknown; errno?: unknown; syscall?: unknown; command?: unknown };
  if (typeof extra.code === "string") target.code = extra.code;
  if (typeof extra.errno === "number") target.errno = extra.errno;
  if (typeof extra.syscall === "string") target.syscall = extra.syscall;
  const name = commandName(error);
  if (name !== undefined) target.command = { name };
  return copy;
}

/** The name of the command ioredis attached to a reply error, lower case. */
export function commandName(error: unknown): string | undefined {
  const command = (error as { command?: { name?: unknown } } | undefined)?.command;
  return typeof command?.name === "string" ? command.name.toLowerCase() : undefined;
}

/** The arguments ioredis attached to a reply error, unless they may be credentials. */
export function commandArgs(error: unknown): readonly unknown[] {
  const name = commandName(error);
  if (name === undefined || CREDENTIAL_COMMANDS.has(name)) return [];
  const args = (error as { command?: { args?: unknown } }).command?.args;
  return Array.isArray(args) ? args : [];
}
