/**
 * Error messages read as sentences: no message shows "..", whatever driver or handler message it
 * quotes (every exported error class, every driver failure popoto names, and a scan of the
 * sources for quoted messages followed by a period). And the README's table of errors lists
 * exactly the exported error classes with the codes they carry, so it cannot drift.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as popoto from "../../src/index.js";
import * as testing from "../../src/testing/index.js";
import { clusterError } from "../../src/connection/cluster-errors.js";
import {
  describeConnectFailure,
  IN_FLIGHT_LOST,
  setFailureContext,
  wrapRedisError,
} from "../../src/connection/failures.js";
import {
  AuthenticationError,
  ClusterError,
  CommandTimeoutError,
  ConcurrentModificationError,
  ConnectionError,
  CorruptDataError,
  HookError,
  IndexNotBuiltError,
  InvalidCursorError,
  KeyConflictError,
  ModelDefinitionError,
  MultipleResultsError,
  NotConnectedError,
  NotReplicatedError,
  NotSavedError,
  PermissionError,
  PopotoError,
  ProtectedError,
  ShardMoveError,
  ReshardRefusedError,
  ReshardBusyError,
  ReshardInProgressError,
  QueryError,
  RedisCommandError,
  RowProblemsError,
  TlsError,
  UniqueViolationError,
  ValidationError,
  WrongTypeError,
} from "../../src/index.js";
import { TestDatabaseError } from "../../src/testing/index.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Two periods in a row that are not an ellipsis ("..." is fine; "ends.." is not). */
const doubled = /(?<!\.)\.\.(?!\.)/;

/** A driver message ending in a period, as ioredis and Node write many of theirs. */
const quoted = "Reached the max retries per request limit (which is 4). Refer to the option for details.";

/** One instance of every exported error class, each quoting messages that end in a period. */
const samples: Record<string, () => PopotoError> = {
  PopotoError: () => new PopotoError("CONNECTION", "Subscriber on news: connection error.", {}),
  NotSavedError: () => new NotSavedError("Book", "Book:Dune no longer exists."),
  TestDatabaseError: () => new TestDatabaseError("database 6 holds foreign data."),
  ValidationError: () =>
    new ValidationError("Book", [
      { field: "pages", expected: "int", received: "string", message: "expected int." },
    ]),
  QueryError: () => new QueryError("Book", 'include("x") names no relationship of Book.', "x"),
  InvalidCursorError: () => new InvalidCursorError("Book", "eyJ2IjoxfQ.abc", "it was changed."),
  ModelDefinitionError: () => new ModelDefinitionError("Book", "a sorted field cannot be nullable.", "pages"),
  UniqueViolationError: () => new UniqueViolationError("Book", "isbn", "123.", "Book:Other"),
  KeyConflictError: () => new KeyConflictError("Book", undefined, "Book:Dune"),
  ConcurrentModificationError: () =>
    new ConcurrentModificationError("Book", "Book:Dune", 3, { deadlineMs: 5000 }),
  CorruptDataError: () => new CorruptDataError("Book", "Book:Dune", "pages", "not valid msgpack."),
  RowProblemsError: () =>
    new RowProblemsError(
      "Book",
      [{ key: "Book:Dune", kind: "corrupt", field: "pages", message: quoted }],
      [],
    ),
  WrongTypeError: () => new WrongTypeError("Book", "$Class:Book", "string", "set"),
  IndexNotBuiltError: () => new IndexNotBuiltError("Book", "pages", "sorted:pages"),
  MultipleResultsError: () => new MultipleResultsError("Book", 2),
  ProtectedError: () => new ProtectedError("Author", "Author:Ann", "Book", "author", ["Book:Dune"]),
  ShardMoveError: () => new ShardMoveError("Visit", "{Visit#3.17}:v1", "{Visit#9.2}:v1"),
  ReshardRefusedError: () =>
    new ReshardRefusedError(
      "Event",
      "Book.event refers to Event and stores its bucket-tagged keys; remove the relationship, or export and import.",
      { model: "Book", field: "event" },
    ),
  ReshardBusyError: () => new ReshardBusyError("Event", "$ShardsLock:{Event}"),
  ReshardInProgressError: () => new ReshardInProgressError("Event", "$Shards:{Event}", 4, 6, "check"),
  NotConnectedError: () => new NotConnectedError(),
  HookError: () => new HookError("Book", "postSave", "Book:Dune", new Error("mail server down.")),
  ConnectionError: () => new ConnectionError("Redis at redis://127.0.0.1:1 is unreachable.", undefined),
  AuthenticationError: () => new AuthenticationError("WRONGPASS.", undefined, "wrong-password"),
  TlsError: () => new TlsError("certificate.", undefined, "certificate"),
  CommandTimeoutError: () => new CommandTimeoutError("no reply.", undefined, 10),
  PermissionError: () => new PermissionError("NOPERM.", undefined, "EVALSHA", []),
  ClusterError: () => new ClusterError("CLUSTERDOWN.", undefined),
  NotReplicatedError: () => new NotReplicatedError("1 of 2 replicas.", 1, 2, "Book"),
  RedisCommandError: () => new RedisCommandError("OOM.", undefined),
};

/** The exported classes that are PopotoErrors (PopotoError included), from both entry points. */
const exportedErrorClasses = Object.entries({ ...popoto, ...testing })
  .filter(
    ([, value]) =>
      typeof value === "function" &&
      (value === PopotoError || (value as { prototype?: unknown }).prototype instanceof PopotoError),
  )
  .map(([name]) => name)
  .sort();

describe("every exported error class", () => {
  it("has a sample here (a new class must be added, and to the README table)", () => {
    expect(Object.keys(samples).sort()).toEqual(exportedErrorClasses);
  });

  it.each(Object.keys(samples))("%s: the message has no '..'", (name) => {
    const error = (samples[name] as () => PopotoError)();
    expect(error.constructor.name).toBe(name);
    expect(error.message).not.toMatch(doubled);
  });
});

/** A driver error as ioredis or Node gives it. */
const driver = (message: string, extra: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(message), extra);

const failures: Error[] = [
  driver("connect ECONNREFUSED 127.0.0.1:1.", { code: "ECONNREFUSED" }),
  driver("getaddrinfo ENOTFOUND nowhere.", { code: "ENOTFOUND" }),
  driver("connect ETIMEDOUT.", { code: "ETIMEDOUT" }),
  driver("read ECONNRESET.", { code: "ECONNRESET" }),
  driver("write EPIPE.", { code: "EPIPE" }),
  driver("certificate has expired.", { code: "CERT_HAS_EXPIRED" }),
  driver("Hostname/IP does not match certificate's altnames.", { code: "ERR_TLS_CERT_ALTNAME_INVALID" }),
  driver("alert certificate required.", { code: "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED" }),
  driver("wrong version number.", { code: "ERR_SSL_WRONG_VERSION_NUMBER" }),
  driver("WRONGPASS invalid username-password pair or user is disabled."),
  driver("NOAUTH Authentication required."),
  driver("ERR DB index is out of range."),
  driver("NOPERM User app has no permissions to run the 'evalsha' command.", {
    command: { name: "evalsha", args: ["sha", "1", "Book:Dune"] },
  }),
  driver("OOM command not allowed when used memory > 'maxmemory'."),
  driver("WRONGTYPE Operation against a key holding the wrong kind of value."),
  driver("ERR unknown command.", { name: "ReplyError" }),
  driver(quoted, { name: "MaxRetriesPerRequestError" }),
  driver("Connection is closed."),
  driver(IN_FLIGHT_LOST),
  driver("Command timed out"),
  driver("CLUSTERDOWN The cluster is down."),
  driver("Too many Cluster redirections. Last error: MOVED 1 127.0.0.1:7001."),
];

describe("driver failures popoto names", () => {
  for (const tls of [false, true])
    it.each(failures.map((error) => [error.message, error] as const))(
      `${tls ? "rediss" : "redis"}: %s gives a message without '..'`,
      (_message, error) => {
        setFailureContext({ shown: "redis://127.0.0.1:1/0", tls, commandTimeout: 10, db: 0 });
        for (const handshake of [false, true]) {
          const named = describeConnectFailure(error, handshake);
          if (named) expect(named.message).not.toMatch(doubled);
        }
        const wrapped = wrapRedisError(error, ["Book:Dune"]);
        expect(wrapped).toBeInstanceOf(Error);
        expect((wrapped as Error).message).not.toMatch(doubled);
      },
    );

  it("a cluster error quoting a message that ends in a period", () => {
    expect(clusterError(driver("CLUSTERDOWN Hash slot not served."), ["Book:Dune"]).message).not.toMatch(
      doubled,
    );
  });
});

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });

describe("the sources", () => {
  it("quote another message mid-sentence only through clause(), which drops its closing period", () => {
    // `${error.message}. Next sentence` shows ".." whenever the quoted message ends in a period.
    const unguarded = /\$\{(?![^}]*clause\()[^}]*(?:\.message|messageOf\()[^}]*\}\./;
    const offenders = sourceFiles(join(root, "src")).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, i) => ({ where: `${file.slice(root.length)}:${i + 1}`, line }))
        .filter(({ line }) => unguarded.test(line))
        .map(({ where }) => where),
    );
    expect(offenders).toEqual([]);
  });
});

/** The rows of the README's "## Errors" table: class name and the codes it lists. */
function readmeErrorTable(): Map<string, string[]> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Errors\n"));
  const body = section.slice(0, section.indexOf("\n## ", 1));
  const rows = new Map<string, string[]>();
  for (const line of body.split("\n")) {
    const cells = line.split(" | ").map((cell) => cell.replace(/^\|\s*|\s*\|$/g, "").trim());
    const name = /^`(\w+)`( \(from `popoto\/testing`\))?$/.exec(cells[0] ?? "")?.[1];
    if (name === undefined) continue;
    rows.set(
      name,
      [...(cells[1] ?? "").matchAll(/`([A-Z_]+)`/g)].map((m) => m[1] as string),
    );
  }
  return rows;
}

describe("the README's table of errors", () => {
  const table = readmeErrorTable();

  it("lists exactly the exported error classes", () => {
    expect([...table.keys()].sort()).toEqual(exportedErrorClasses);
  });

  it.each(Object.keys(samples))("%s: its row names the code it carries", (name) => {
    expect(table.get(name)).toContain((samples[name] as () => PopotoError)().code);
  });

  it("names every PopotoErrorCode", () => {
    const source = readFileSync(join(root, "src/errors.ts"), "utf8");
    const union = source.slice(
      source.indexOf("export type PopotoErrorCode"),
      source.indexOf(";", source.indexOf("export type PopotoErrorCode")),
    );
    const codes = [...union.matchAll(/"([A-Z_]+)"/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(10);
    const listed = new Set([...table.values()].flat());
    expect(codes.filter((code) => !listed.has(code as string))).toEqual([]);
  });
});
