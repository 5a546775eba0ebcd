/**
 * Credentials, TLS and named failures, against redis-servers of the test's own: one with a TLS
 * port (certificates made by openssl in the test), ACL users with passwords, one that requires a
 * client certificate. Each failure (WRONGPASS, NOAUTH, NOPERM, an untrusted certificate, a wrong
 * host name, no common TLS protocol, a plain client on a TLS port, nothing listening, a bad URL)
 * gives its own code, reason and fix, and no password ever appears in an error, its cause, its
 * stack, the CLI's output or a log line.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { inspect } from "node:util";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AuthenticationError,
  ConnectionError,
  KeyField,
  Model,
  PermissionError,
  SortedField,
  TlsError,
  connect,
  connectionStatus,
  disconnect,
  onConnectionStatus,
  type ConnectOptions,
  type ConnectionStatus,
} from "../../src/index.js";
import { freePort, startServer, type PrivateServer } from "../support/redis-server.js";
import { makeCertificates, type TestCertificates } from "../support/tls.js";

const SECRET = "Sup3r-S3cret-pw";
const WRONG = "Wr0ng-S3cret-pw";
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

class Book extends Model("Book", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}

let certs: TestCertificates;
let server: PrivateServer;
let tlsPort: number;
let admin: Redis;
/** Every error and log line the tests saw, grepped for secrets at the end. */
const seen: unknown[] = [];
const logged: string[] = [];

const plainUrl = (auth: string, db = 1): string => `redis://${auth}@127.0.0.1:${server.port}/${db}`;
const tlsUrl = (auth: string, db = 1, host = "127.0.0.1"): string =>
  `rediss://${auth}@${host}:${tlsPort}/${db}`;

/** connect() that must fail; returns the error (and keeps it for the final grep). */
async function failedConnect(target: string | ConnectOptions): Promise<ConnectionError> {
  let error: unknown;
  try {
    await connect(target);
  } catch (thrown) {
    error = thrown;
  }
  seen.push(error, connectionStatus().lastError);
  expect(error, "connect() rejected").toBeInstanceOf(ConnectionError);
  expect(connectionStatus().state).toBe("closed");
  return error as ConnectionError;
}

beforeAll(async () => {
  for (const method of ["log", "warn", "error", "info"] as const)
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 10 }))).join(" "));
    });
  certs = makeCertificates();
  tlsPort = await freePort();
  server = await startServer({ args: certs.serverArgs(tlsPort, "optional") });
  admin = server.client();
  await admin.call("ACL", "SETUSER", "app", "on", `>${SECRET}`, "~*", "&*", "+@all");
});

afterAll(async () => {
  await disconnect();
  await server?.stop();
  certs?.remove();
  vi.restoreAllMocks();
});

describe("credentials", () => {
  it("an ACL user and password in the URL connect, to the URL's database", async () => {
    const client = await connect(plainUrl(`app:${SECRET}`, 3));
    await Book.create({ title: "Dune", pages: 412 });
    expect(await admin.call("ACL", "WHOAMI")).toBe("default");
    expect(await client.call("ACL", "WHOAMI")).toBe("app");
    admin.select(3);
    expect(await admin.exists("Book:Dune")).toBe(1);
    await admin.flushdb();
    admin.select(0);
    expect(connectionStatus().state).toBe("ready");
    expect(connectionStatus().url).toBe(`redis://app:***@127.0.0.1:${server.port}/3`);
  });

  it("a wrong password: AuthenticationError (AUTH, wrong-password) naming WRONGPASS, URL redacted", async () => {
    const error = await failedConnect(plainUrl(`app:${WRONG}`));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.code).toBe("AUTH");
    expect(error.reason).toBe("wrong-password");
    expect(error.message).toContain("WRONGPASS");
    expect(error.message).toContain(`redis://app:***@127.0.0.1:${server.port}/1`);
    expect(error.message).not.toMatch(/Start redis-server/);
  });

  it("an unknown user: the same named failure", async () => {
    const error = await failedConnect(plainUrl(`nobody:${SECRET}`));
    expect(error.code).toBe("AUTH");
    expect(error.reason).toBe("wrong-password");
  });

  it("no password where one is required: AuthenticationError (AUTH, no-auth)", async () => {
    const locked = await startServer();
    try {
      const lockedAdmin = locked.client();
      await lockedAdmin.call("CONFIG", "SET", "requirepass", SECRET);
      const error = await failedConnect(locked.url(1));
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.reason).toBe("no-auth");
      expect(error.message).toContain("NOAUTH");
      expect(error.message).toContain("redis://user:password@");
      // and the password as the default user's works
      await connect(`redis://:${SECRET}@127.0.0.1:${locked.port}/1`);
      expect(await Book.query.count()).toBe(0);
      await disconnect();
    } finally {
      await locked.stop();
    }
  });

  it("a command the ACL refuses: PermissionError (PERMISSION) naming the command and key; nothing written", async () => {
    await admin.call(
      "ACL",
      "SETUSER",
      "reader",
      "on",
      `>${SECRET}`,
      "~*",
      "&*",
      "-@all",
      "+@connection",
      "+info",
      "+select",
      "+evalsha",
      "+eval",
      "+script",
    );
    await connect(plainUrl(`reader:${SECRET}`, 4));
    let error: unknown;
    try {
      await Book.create({ title: "Dune", pages: 1 });
    } catch (thrown) {
      error = thrown;
    }
    seen.push(error);
    expect(error).toBeInstanceOf(PermissionError);
    expect((error as PermissionError).code).toBe("PERMISSION");
    expect((error as PermissionError).command).toBe("EVALSHA");
    expect((error as PermissionError).message).toContain("inside a popoto script");
    admin.select(4);
    expect(await admin.dbsize()).toBe(0);
    admin.select(0);
    let loadError: unknown;
    try {
      await Book.load({ title: "Dune" });
    } catch (thrown) {
      loadError = thrown;
    }
    seen.push(loadError);
    expect(loadError).toBeInstanceOf(PermissionError);
    expect((loadError as PermissionError).command).toBe("HGETALL");
    expect((loadError as PermissionError).keys).toEqual(["Book:Dune"]);
    expect((loadError as PermissionError).message).toContain("HGETALL");
    expect((loadError as PermissionError).message).toContain("ACL SETUSER");
    await disconnect();
  });
});

describe("TLS", () => {
  it("rediss:// with the CA connects, with an ACL user, and with a client certificate", async () => {
    await connect({ url: tlsUrl(`app:${SECRET}`, 5), redisOptions: { tls: { ca: certs.ca } } });
    await Book.create({ title: "Dune", pages: 412 });
    admin.select(5);
    expect(await admin.exists("Book:Dune")).toBe(1);
    await admin.flushdb();
    admin.select(0);
    await connect({
      url: tlsUrl(`app:${SECRET}`, 5, "localhost"),
      redisOptions: { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } },
    });
    expect(await Book.query.count()).toBe(0);
    await disconnect();
  });

  it("a certificate not signed by a trusted CA: TlsError (TLS, certificate) saying to pass the CA", async () => {
    const error = await failedConnect(tlsUrl(`app:${SECRET}`));
    expect(error).toBeInstanceOf(TlsError);
    expect(error.code).toBe("TLS");
    expect(error.reason).toBe("certificate");
    expect(error.message).toContain("--tls-ca");
    expect(error.message).toContain("tls: { ca");
  });

  it("a certificate for another host name: TlsError (TLS, hostname)", async () => {
    const error = await failedConnect({
      url: tlsUrl(`app:${SECRET}`),
      redisOptions: { tls: { ca: certs.ca, servername: "redis.other.example" } },
    });
    expect(error.code).toBe("TLS");
    expect(error.reason).toBe("hostname");
    expect(error.message).toContain("servername");
  });

  it("no TLS version in common: TlsError (TLS, protocol)", async () => {
    const error = await failedConnect({
      url: tlsUrl(`app:${SECRET}`),
      redisOptions: { tls: { ca: certs.ca, minVersion: "TLSv1", maxVersion: "TLSv1.1" } },
    });
    expect(error.code).toBe("TLS");
    expect(error.reason).toBe("protocol");
  });

  it("a server that requires a client certificate, given none: TlsError (TLS, certificate)", async () => {
    const port = await freePort();
    const strict = await startServer({ args: certs.serverArgs(port, "yes") });
    try {
      const error = await failedConnect({
        url: `rediss://app:${SECRET}@127.0.0.1:${port}/1`,
        redisOptions: { tls: { ca: certs.ca } },
      });
      expect(error.code).toBe("TLS");
      expect(error.reason).toBe("certificate");
      expect(error.message).toContain("client certificate");
      await connect({
        url: `rediss://127.0.0.1:${port}/1`,
        redisOptions: { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } },
      });
      expect(await Book.query.count()).toBe(0);
      await disconnect();
    } finally {
      await strict.stop();
    }
  });

  it("redis:// on the TLS port: CONNECTION (handshake) saying to use rediss://", async () => {
    const error = await failedConnect(`redis://app:${SECRET}@127.0.0.1:${tlsPort}/1`);
    expect(error.code).toBe("CONNECTION");
    expect(error.reason).toBe("handshake");
    expect(error.message).toContain("rediss://");
  });
});

describe("where nothing answers, and bad URLs", () => {
  it("nothing listening: CONNECTION (nothing-listening) saying to start redis-server", async () => {
    const port = await freePort();
    const error = await failedConnect(`redis://app:${SECRET}@127.0.0.1:${port}/1`);
    expect(error.code).toBe("CONNECTION");
    expect(error.reason).toBe("nothing-listening");
    expect(error.message).toContain("ECONNREFUSED");
    expect(error.message).toContain("redis-server");
    expect(error.message).toContain(`redis://app:***@127.0.0.1:${port}/1`);
  });

  it("a database index the server does not have: CONNECTION (no-database), nothing written to db 0", async () => {
    const error = await failedConnect(plainUrl(`app:${SECRET}`, 99));
    expect(error.reason).toBe("no-database");
    expect(error.message).toContain("database 99");
    expect(await admin.dbsize()).toBe(0);
  });

  it.each([
    ["no scheme", `app:${SECRET}@localhost:6379`, "no scheme"],
    ["http://", `http://app:${SECRET}@127.0.0.1:6379/1`, "http://"],
    ["a path that is not a db index", `redis://app:${SECRET}@127.0.0.1:6379/abc`, "database index"],
    ["no host", `redis://:6379/1`, "valid URL"],
  ])("%s: CONNECTION (invalid-url) before anything connects", async (_, url, says) => {
    const error = await failedConnect(url);
    expect(error.code).toBe("CONNECTION");
    expect(error.reason).toBe("invalid-url");
    expect(error.message).toContain(says);
    expect(error.message).toContain("redis://[user:password@]host:port/db");
  });
});

describe("status", () => {
  it("onConnectionStatus reports connecting, ready and disconnected; a failure is in lastError", async () => {
    const states: ConnectionStatus[] = [];
    const stop = onConnectionStatus((status) => states.push(status));
    try {
      await connect(plainUrl(`app:${SECRET}`, 1));
      await disconnect();
      await failedConnect(plainUrl(`app:${WRONG}`));
    } finally {
      stop();
    }
    const order = states.map((s) => s.state).filter((s, i, all) => s !== all[i - 1]);
    expect(order.slice(0, 4)).toEqual(["connecting", "ready", "disconnected", "connecting"]);
    expect(order.at(-1)).toBe("closed");
    expect(states.at(-1)?.lastError?.code).toBe("AUTH");
    seen.push(...states.map((s) => s.lastError), ...states.map((s) => s.url));
  });
});

describe("secrets never leave", () => {
  it("the CLI names the failure and redacts the password", async () => {
    const run = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli/main.ts",
          "check",
          "--models",
          "test/fixtures/cli-models.ts",
          "--url",
          plainUrl(`app:${WRONG}`),
        ],
        { cwd: ROOT, timeout: 30_000 },
        (error, stdout, stderr) =>
          resolve({
            code: error ? (typeof error.code === "number" ? error.code : -1) : 0,
            out: stdout + stderr,
          }),
      );
    });
    logged.push(run.out);
    expect(run.code).toBe(3);
    expect(run.out).toContain("WRONGPASS");
    expect(run.out).toContain("app:***@");
  }, 40_000);

  it("no error, cause, stack, inspect() or log line above contains a password", () => {
    expect(seen.length).toBeGreaterThan(15);
    const renderings = seen.flatMap((error) => [
      String(error),
      error instanceof Error ? (error.stack ?? "") : "",
      inspect(error, { depth: 20, showHidden: true }),
      JSON.stringify(error) ?? "",
    ]);
    const text = [...renderings, ...logged].join("\n");
    expect(text).toContain("***");
    for (const secret of [SECRET, WRONG]) {
      const at = text.indexOf(secret);
      expect(at, `${secret} in: ${text.slice(Math.max(0, at - 300), at + 100)}`).toBe(-1);
    }
  });
});
