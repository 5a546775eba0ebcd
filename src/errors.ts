/**
 * Every error popoto throws extends PopotoError and carries a stable `code`, so callers can branch
 * on `err.code` (or `isPopotoError(err, "UNIQUE_VIOLATION")`) without relying on `instanceof`
 * across two installed copies of the package.
 *
 * Over 300 lines: every error class in one file, so the list of codes and the classes that carry
 * them are checked together (one short class per code, each with its message and fix).
 */
export type PopotoErrorCode =
  | "VALIDATION"
  | "QUERY"
  | "UNIQUE_VIOLATION"
  | "MODEL_DEFINITION"
  | "KEY_CONFLICT"
  | "CONCURRENT_MODIFICATION"
  | "CORRUPT_DATA"
  | "WRONG_TYPE"
  | "NOT_CONNECTED"
  | "CONNECTION"
  | "CLUSTER"
  | "NOT_REPLICATED"
  | "AUTH"
  | "PERMISSION"
  | "TLS"
  | "INVALID_CURSOR"
  | "MULTIPLE_RESULTS"
  | "PROTECTED"
  | "NOT_SAVED"
  | "TEST_DATABASE"
  | "SHARD_MOVE"
  | "HOOK"
  | "INDEX_NOT_BUILT"
  | "RESHARD_REFUSED"
  | "RESHARD_BUSY"
  | "RESHARD_IN_PROGRESS"
  | "REDIS";

export class PopotoError extends Error {
  readonly code: PopotoErrorCode;
  /** The model involved, when there is one. */
  readonly model: string | undefined;

  constructor(
    code: PopotoErrorCode,
    message: string,
    options?: { model?: string | undefined; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.model = options?.model;
  }
}

/** One invalid field of a ValidationError. */
export interface ValidationIssue {
  readonly field: string;
  /**
   * The value given; for a failed value check (`min`, `choices`…), as converted to the field's
   * type (`"09:00"` as `"09:00:00.000000"`). Absent where the issue is about the input as a whole.
   */
  readonly value?: unknown;
  /** What the field accepts, e.g. `int (a safe integer)` or `string of at most 10 characters`. */
  readonly expected: string;
  /** A short description of what was given, e.g. `string "12"` or `undefined`. */
  readonly received: string;
  readonly message: string;
}

/** Bad values given to a model: thrown before anything is written. */
export class ValidationError extends PopotoError {
  readonly issues: readonly ValidationIssue[];

  constructor(model: string, issues: readonly ValidationIssue[], action = "saved") {
    const lines = issues.map((i) => `  - ${model}.${i.field}: ${i.message}`);
    super(
      "VALIDATION",
      `${model} cannot be ${action}: ${issues.length} invalid field${issues.length === 1 ? "" : "s"}\n${lines.join("\n")}`,
      { model },
    );
    this.issues = issues;
  }
}

/** A filter, ordering or other query option the model cannot answer. */
export class QueryError extends PopotoError {
  readonly field: string | undefined;
  constructor(model: string, message: string, field?: string) {
    super("QUERY", `${model} query: ${message}`, { model });
    this.field = field;
  }
}

/**
 * A `page()` cursor that this query did not give out: damaged, edited, or the `next` of a query
 * with another model or order. Nothing was read.
 */
export class InvalidCursorError extends PopotoError {
  readonly cursor: string;
  constructor(model: string, cursor: string, reason: string) {
    const shown = cursor.length > 40 ? `${cursor.slice(0, 40)}…` : cursor;
    super(
      "INVALID_CURSOR",
      `${model} query: page() cannot continue from the cursor "${shown}": ${reason.replace(/\.+$/, "")}. Pass the \`next\` ` +
        `of a page of this same query (same model and orderBy), or nothing for the first page.`,
      { model },
    );
    this.cursor = cursor;
  }
}

/** A model declared in a way popoto cannot store; thrown when `Model()` runs. */
export class ModelDefinitionError extends PopotoError {
  readonly field: string | undefined;
  constructor(model: string, message: string, field?: string) {
    super("MODEL_DEFINITION", `Model ${model}: ${message}`, { model });
    this.field = field;
  }
}

/** A unique value already held by another instance; nothing was written. */
export class UniqueViolationError extends PopotoError {
  /** The unique field, or a unique composite index's fields joined with `+` (`author+year`). */
  readonly field: string;
  readonly value: unknown;
  /** Instance key of the instance that holds the value. */
  readonly holder: string;
  constructor(model: string, field: string, value: unknown, holder: string) {
    super(
      "UNIQUE_VIOLATION",
      (field.includes("+")
        ? `${model} fields ${field.split("+").join(", ")} must be unique together (a unique index), but ` +
          `${field
            .split("+")
            .map((name, i) => `${name} ${formatValue(Array.isArray(value) ? value[i] : undefined)}`)
            .join(", ")} is already held by ${holder}. `
        : `${model}.${field} must be unique, but ${formatValue(value)} is already held by ${holder}. `) +
        `Choose another value, or load and update ${holder} instead.`,
      { model },
    );
    this.field = field;
    this.value = value;
    this.holder = holder;
  }
}

/**
 * A save of a sharded model that would move an instance to another bucket (a key field or the
 * `shardBy` relationship changed): buckets are different slots, so the move cannot be one atomic
 * write. Nothing was written.
 */
export class ShardMoveError extends PopotoError {
  readonly key: string;
  readonly newKey: string;
  constructor(model: string, key: string, newKey: string) {
    super(
      "SHARD_MOVE",
      `${model} is sharded, and this save would move ${key} to ${newKey}, in another bucket (another slot), ` +
        `which cannot be one atomic write. Create the instance under its new key and delete the old one, ` +
        `or keep the key fields and shardBy unchanged.`,
      { model },
    );
    this.key = key;
    this.newKey = newKey;
  }
}

/**
 * `reshard` refused a model before moving anything: another model's relationship stores its
 * bucket-tagged keys, or its change feed would split across layouts, or the counts are wrong.
 */
export class ReshardRefusedError extends PopotoError {
  /** The referring model and field, when a relationship is the reason. */
  readonly referrer: { readonly model: string; readonly field: string } | undefined;
  constructor(model: string, message: string, referrer?: { model: string; field: string }) {
    super("RESHARD_REFUSED", message, { model });
    this.referrer = referrer;
  }
}

/** Another reshard of the model holds its lock (`$ShardsLock:…`): one mover at a time. */
export class ReshardBusyError extends PopotoError {
  readonly key: string;
  constructor(model: string, key: string) {
    super(
      "RESHARD_BUSY",
      `Another reshard of ${model} is running (it holds ${key}). Wait for it to finish; if that process is ` +
        `gone, the lock expires within 30 s, then run the reshard again: it resumes where the other stopped.`,
      { model },
    );
    this.key = key;
  }
}

/**
 * A maintenance tool met a model whose reshard is under way: it walks one layout, and the
 * instances are between two. The record is `key`.
 */
export class ReshardInProgressError extends PopotoError {
  readonly key: string;
  constructor(model: string, key: string, from: number, to: number, tool: string) {
    super(
      "RESHARD_IN_PROGRESS",
      `${model} is being resharded from ${from} to ${to} buckets (${key}), so ${tool} cannot walk it now. ` +
        `Let the reshard finish (\`npx popoto reshard ${model} --shards ${to}\` resumes one that stopped), then run ${tool} again.`,
      { model },
    );
    this.key = key;
  }
}

/**
 * An instance already exists at the key: `create()` of a key that is taken, or a key-field change
 * that would move an instance onto another one's key. Nothing was written.
 */
export class KeyConflictError extends PopotoError {
  /** The instance that was moved; undefined when `create()` found the key taken. */
  readonly from: string | undefined;
  /** The key that is already taken. */
  readonly to: string;
  /** Same as `to`: the instance key that already exists. */
  readonly key: string;
  constructor(model: string, from: string | undefined, to: string) {
    super(
      "KEY_CONFLICT",
      from === undefined
        ? `${model}.create(): ${to} already exists, so nothing was written. create() only makes new ` +
            `instances: use save() on an instance (or updateOrCreate()) to replace or update ${to}, ` +
            `getOrCreate() to use it as it is, or give key fields no instance has.`
        : `${model}: cannot move ${from} to ${to}, because ${to} already exists. ` +
            `Delete ${to} first, or change the key fields to a value no instance has.`,
      { model },
    );
    this.from = from;
    this.to = to;
    this.key = to;
  }
}

/**
 * Nothing was written because the instance changed in Redis: either other writers kept changing it
 * for the whole write deadline (`attempts` tries), or a `save({ ifUnchanged: true })` found that
 * it changed since this copy was loaded or saved (`attempts` is then 1 and `staleCopy` true).
 */
export class ConcurrentModificationError extends PopotoError {
  readonly key: string;
  readonly attempts: number;
  readonly staleCopy: boolean;
  constructor(
    model: string,
    key: string,
    attempts: number,
    options: { deadlineMs?: number; staleCopy?: boolean } = {},
  ) {
    super(
      "CONCURRENT_MODIFICATION",
      options.staleCopy
        ? `${model}: ${key} changed in Redis since this copy was loaded or saved, and save({ ifUnchanged: true }) ` +
            `writes only onto the state it read; nothing was written. Load it again, reapply your change and save.`
        : `${model}: ${key} changed under every one of ${attempts} attempts to write it` +
            (options.deadlineMs === undefined ? "" : ` in ${options.deadlineMs} ms`) +
            `; nothing was written. Retry the operation, raise connect({ writeDeadlineMs }), ` +
            `or reduce the number of processes updating the indexed fields of this instance at once.`,
      { model },
    );
    this.key = key;
    this.attempts = attempts;
    this.staleCopy = options.staleCopy === true;
  }
}

/** Stored bytes that do not decode as the field's type (written by another client, or damaged). */
export class CorruptDataError extends PopotoError {
  readonly key: string;
  readonly field: string;
  readonly detail: string;
  constructor(model: string, key: string, field: string, detail: string, message?: string) {
    super(
      "CORRUPT_DATA",
      message ??
        `${model}: field "${field}" of ${key} cannot be decoded (${detail}). ` +
          `Rewrite it with a valid value, or delete the instance.`,
      { model },
    );
    this.key = key;
    this.field = field;
    this.detail = detail;
  }
}

/** One matched row a query could not return: its key, and what is wrong with it. */
export interface RowProblem {
  readonly key: string;
  /**
   * `corrupt`: a stored value does not decode (`field` names it; `(hash)` when the key is not a hash).
   * `drift`: an index names the row for the filter, but its stored values do not match it.
   */
  readonly kind: "corrupt" | "drift";
  /** The model queried, where the reporter knows it. */
  readonly model?: string | undefined;
  readonly field: string;
  readonly message: string;
}

/**
 * A query matched rows that cannot be read. Thrown after the whole query ran: `rows` holds every
 * healthy result (instances, or records for `values()`), in the query's order, and `problems`
 * every bad row, so one bad row never hides the rest. `key` and `field` name the first problem.
 */
export class RowProblemsError<TRow = unknown> extends CorruptDataError {
  readonly problems: readonly RowProblem[];
  readonly rows: readonly TRow[];
  constructor(model: string, problems: readonly RowProblem[], rows: readonly TRow[]) {
    const first = problems[0] as RowProblem;
    const shown = problems
      .slice(0, 3)
      .map((p) => `${p.key} (field "${p.field}")`)
      .join(", ");
    super(
      model,
      first.key,
      first.field,
      first.message,
      `${model} query: ${problems.length} matching row${problems.length === 1 ? "" : "s"} cannot be read: ` +
        `${shown}${problems.length > 3 ? ", …" : ""}. First: ${first.message} ` +
        `The ${rows.length} healthy row${rows.length === 1 ? " is" : "s are"} in error.rows and every bad row in ` +
        `error.problems. \`npx popoto check\` lists corrupt rows; \`npx popoto clean --corrupt=quarantine\` moves them aside.`,
    );
    this.problems = problems;
    this.rows = rows;
  }
}

/** A key popoto reads holds another Redis type than the one popoto keeps there (written by another client). */
export class WrongTypeError extends PopotoError {
  readonly key: string;
  readonly actual: string;
  readonly expected: string;
  constructor(model: string, key: string, actual: string, expected: string) {
    super(
      "WRONG_TYPE",
      `${model}: ${key} holds a ${actual}, where popoto keeps a ${expected} (written by another client?). ` +
        `Nothing was written. Delete or rename that key, then run \`npx popoto rebuild\` to restore the index.`,
      { model },
    );
    this.key = key;
    this.actual = actual;
    this.expected = expected;
  }
}

/**
 * A query needs an index the model declares but Redis does not hold for every stored instance yet:
 * the index was added to the model (a field became a SortedField, an IndexedField, a relationship,
 * a TagField, a composite index…) after instances were written without it, so reading it would
 * silently miss them. Nothing was read. The model's schema fingerprint (`$Schema:<Model>`,
 * docs/storage.md) says which indexes are complete.
 */
export class IndexNotBuiltError extends PopotoError {
  /** The field (or composite index, `a+b`) whose index is not built. */
  readonly field: string;
  /** The index, as the fingerprint names it (`sorted:pages`). */
  readonly index: string;
  /** `reader`: what would have read the index (default a query; a delete's onDelete names itself). */
  constructor(
    model: string,
    field: string,
    index: string,
    reader = "a query on it would miss them; nothing was read",
  ) {
    super(
      "INDEX_NOT_BUILT",
      `${model}: the index of ${model}.${field} (${index}) is not built for the instances stored before it ` +
        `was declared, so ${reader}. Build it with ` +
        `\`npx popoto migrate --models <your models file> --model ${model}\` or \`await ${model}.migrate()\`.`,
      { model },
    );
    this.field = field;
    this.index = index;
  }
}

/** `get()` matched more than one instance. */
export class MultipleResultsError extends PopotoError {
  constructor(model: string, count: number) {
    super(
      "MULTIPLE_RESULTS",
      `${model}.query.get() matched ${count > 2 ? "several" : count} instances; give every key field to ` +
        `name one instance, or use filter() to get them all.`,
      { model },
    );
  }
}

/** Deleting an instance that `onDelete: "protect"` relationships still point at; nothing was written. */
export class ProtectedError extends PopotoError {
  readonly key: string;
  readonly referrers: readonly string[];
  constructor(model: string, key: string, referrer: string, field: string, referrers: readonly string[]) {
    super(
      "PROTECTED",
      `${model}: cannot delete ${key}: ${referrers.length} ${referrer} instance${referrers.length === 1 ? " points" : "s point"} ` +
        `at it through ${referrer}.${field}, which is declared onDelete: "protect" (e.g. ${referrers[0]}). ` +
        `Delete or reassign them first.`,
      { model },
    );
    this.key = key;
    this.referrers = referrers;
  }
}

/** Which lifecycle hook of a model class threw after its write was committed. */
export type PostHook = "postSave" | "postDelete";

/**
 * A `postSave` or `postDelete` method threw after the write was committed: the write stands (it is
 * in Redis, and other clients may already see it); only the hook's work is in doubt. `cause` is
 * what the hook threw.
 */
export class HookError extends PopotoError {
  readonly hook: PostHook;
  readonly key: string;
  constructor(model: string, hook: PostHook, key: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const done = hook === "postSave" ? "saved" : "deleted";
    super(
      "HOOK",
      `${model}: ${key} was ${done}, but its ${hook}() threw: ${clause(reason)}. The write stands; ` +
        `make ${hook}() handle its own failures, or retry its work (error.cause is what it threw).`,
      { model, cause },
    );
    this.hook = hook;
    this.key = key;
  }
}

/**
 * An operation that needs the stored instance (atomicIncrement, addRelated, a partial save) on one
 * that was never saved, or is no longer stored; nothing was written.
 */
export class NotSavedError extends PopotoError {
  constructor(model: string, message: string) {
    super("NOT_SAVED", `${model}: ${message}`, { model });
  }
}

/** A partial write (or commuting change) to an instance deleted or expired since it was read. */
export const deletedMeanwhile = (meta: { readonly name: string }, key: string): NotSavedError =>
  new NotSavedError(
    meta.name,
    `${key} no longer exists (deleted, or expired), so a partial write has nothing to update. ` +
      `Save the instance fully to create it again.`,
  );

export class NotConnectedError extends PopotoError {
  constructor() {
    super(
      "NOT_CONNECTED",
      "popoto is not connected to Redis: call `await connect()` (or connect(url | client)) first.",
    );
  }
}

/**
 * Why a connection failed, finer than the error's `code` (stable strings, safe to branch on):
 * - code "CONNECTION": "nothing-listening" (refused), "unreachable" (no route, DNS, connect timeout),
 *   "closed" (the connection dropped and retries were spent), "lost-reply" (closed before the reply:
 *   the command may have run), "timeout" (no reply within the command deadline: it may have run),
 *   "invalid-url", "no-database" (the db index does not exist), "handshake" (the server closed the
 *   connection during the handshake, e.g. a plain client on a TLS port);
 * - code "AUTH": "wrong-password" (WRONGPASS), "no-auth" (NOAUTH: the server wants a password);
 * - code "TLS": "certificate" (not trusted, expired, or a client certificate is required),
 *   "hostname" (the certificate does not name the host), "protocol" (no TLS version in common, or
 *   TLS spoken to a plain port).
 */
export type ConnectionFailure =
  | "nothing-listening"
  | "unreachable"
  | "closed"
  | "lost-reply"
  | "timeout"
  | "invalid-url"
  | "no-database"
  | "handshake"
  | "wrong-password"
  | "no-auth"
  | "certificate"
  | "hostname"
  | "protocol";

/**
 * Redis could not be reached, or stopped answering. Messages name the URL with its password
 * replaced by `***`, and the `cause` is a copy of the driver's error with secrets removed.
 */
export class ConnectionError extends PopotoError {
  /** What failed; see ConnectionFailure. */
  readonly reason: ConnectionFailure;
  constructor(
    message: string,
    cause: unknown,
    reason: ConnectionFailure = "closed",
    code: "CONNECTION" | "AUTH" | "TLS" = "CONNECTION",
  ) {
    super(code, message, { cause });
    this.reason = reason;
  }
}

/** The server refused the credentials (WRONGPASS), or wants some (NOAUTH). Code "AUTH". */
export class AuthenticationError extends ConnectionError {
  constructor(message: string, cause: unknown, reason: "wrong-password" | "no-auth") {
    super(message, cause, reason, "AUTH");
  }
}

/** The TLS handshake failed: certificate, hostname or protocol. Code "TLS". */
export class TlsError extends ConnectionError {
  constructor(message: string, cause: unknown, reason: "certificate" | "hostname" | "protocol") {
    super(message, cause, reason, "TLS");
  }
}

/**
 * A command got no reply within the command deadline (`commandTimeout`): the server is hung or
 * the network black-holes packets. A write may or may not have run. Code "CONNECTION", reason "timeout".
 */
export class CommandTimeoutError extends ConnectionError {
  /** The deadline that passed, in milliseconds. */
  readonly timeoutMs: number;
  constructor(message: string, cause: unknown, timeoutMs: number) {
    super(message, cause, "timeout");
    this.timeoutMs = timeoutMs;
  }
}

/** The Redis user lacks an ACL permission popoto needs (NOPERM). Code "PERMISSION"; nothing was written. */
export class PermissionError extends PopotoError {
  /** The command Redis refused (EVALSHA for popoto's scripts), upper case. */
  readonly command: string;
  /** The keys the refused command named, when known. */
  readonly keys: readonly string[];
  constructor(message: string, cause: unknown, command: string, keys: readonly string[]) {
    super("PERMISSION", message, { cause });
    this.command = command;
    this.keys = keys;
  }
}

/**
 * A Redis Cluster kept redirecting or refusing a command (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, a
 * crashed master) for longer than popoto rides out a failover or slot migration. The command did
 * not run (a write whose reply was lost is a ConnectionError instead).
 */
export class ClusterError extends PopotoError {
  /** The keys the command touched, when known. */
  readonly keys: readonly string[];
  constructor(message: string, cause: unknown, keys: readonly string[] = []) {
    super("CLUSTER", message, { cause });
    this.keys = keys;
  }
}

/**
 * `connect({ waitReplicas })`: a write applied on the master, but fewer replicas than asked for
 * acknowledged it in time. The write is not undone.
 */
export class NotReplicatedError extends PopotoError {
  readonly acknowledged: number;
  readonly requested: number;
  constructor(message: string, acknowledged: number, requested: number, model: string | undefined) {
    super("NOT_REPLICATED", message, { model });
    this.acknowledged = acknowledged;
    this.requested = requested;
  }
}

/** Redis answered a command with an error (out of memory, a key of the wrong type, …). */
export class RedisCommandError extends PopotoError {
  constructor(message: string, cause: unknown) {
    super("REDIS", message, { cause });
  }
}

/** True when `error` is a PopotoError, optionally of the given code. */
export const isPopotoError = (error: unknown, code?: PopotoErrorCode): error is PopotoError => {
  if (!(error instanceof Error) || !("model" in error) || !("code" in error)) return false;
  return typeof error.code === "string" && (code === undefined || error.code === code);
};

/**
 * Another message (a driver's, a handler's) embedded in ours, without its closing period, so the
 * sentence we continue never shows "..".
 */
export const clause = (text: string): string => text.trimEnd().replace(/\.+$/, "");

/** A short, bounded rendering of a value for error messages. */
export const formatValue = (value: unknown): string => {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value instanceof Uint8Array) return `bytes(${value.length})`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (value instanceof Set) return `Set(${value.size})`;
  if (typeof value === "object") {
    const name = (value as object).constructor?.name;
    return name && name !== "Object" ? name : "object";
  }
  return typeof value;
};

/** `formatValue` prefixed with the JS type, for "received" in validation issues. */
export const describeReceived = (value: unknown): string => {
  if (value === undefined || value === null) return String(value);
  if (typeof value === "string") return `string ${formatValue(value)}`;
  if (typeof value === "number") return `number ${formatValue(value)}`;
  return formatValue(value);
};
