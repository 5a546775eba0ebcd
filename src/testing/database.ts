/**
 * A Redis database of a test file's own: claimed atomically, emptied between tests and at the
 * end, refused when it holds data the tests did not make.
 *
 * The claim is a lock key, `$PopotoTest:lock`, inside the claimed database, set by a script that
 * first checks the database is empty (or holds only popoto's keys, when allowed) and not held by
 * another test file: two test files running at once (vitest workers, `node --test` processes)
 * never get one database. The lock expires (30 min, renewed by every reset), so a crashed run
 * frees its database. Popoto keeps its keys under model names, not under a prefix, so isolation
 * is by database (a cluster has only database 0 and is not supported).
 */
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { connect, disconnect } from "../connection/connection.js";
import { CONNECTION_DEFAULTS } from "../connection/options.js";
import { redactUrl } from "../connection/redact.js";
import { PopotoError } from "../errors.js";
import { allModels } from "../model/registry.js";

/** The lock key of a claimed database. */
export const LOCK_KEY = "$PopotoTest:lock";
const LOCK_TTL_MS = 30 * 60_000;

/** A test database could not be used: foreign data, held by another test file, none free. */
export class TestDatabaseError extends PopotoError {
  constructor(message: string) {
    super("TEST_DATABASE", message);
  }
}

export interface TestDatabaseOptions {
  /**
   * Redis to use (default: `REDIS_URL`, else redis://127.0.0.1:6379). A database in the URL
   * (`redis://host:6379/5`) is used as given, like `database`; without one, a free database is
   * claimed from `databases`.
   */
  readonly url?: string | undefined;
  /** Use exactly this database (refused when another test file holds it, or when it holds data). */
  readonly database?: number | undefined;
  /** Databases to claim from (default 1 to the server's `databases` - 1; 0 is never used unless named). */
  readonly databases?: readonly number[] | undefined;
  /**
   * Accept a database that holds keys of popoto's models at the start (left by an earlier run):
   * they are deleted. Keys of anything else are still refused.
   */
  readonly allowExisting?: boolean | undefined;
}

/** A claimed database, connected as popoto's connection. */
export interface TestDatabase {
  readonly database: number;
  /** The URL popoto is connected to (password shown as `***`). */
  readonly url: string;
  /** Empties the database (keeping the claim). */
  reset(): Promise<void>;
  /** Empties the database, gives up the claim and disconnects popoto. */
  release(): Promise<void>;
}

// KEYS[1] lock; ARGV owner, ttl ms, "empty" | "any". {1, keys} claimed; {0, holder}; {-1, keys}.
const CLAIM = `
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return {0, holder} end
local size = redis.call('DBSIZE')
if holder then size = size - 1 end
if size > 0 and ARGV[3] == 'empty' then return {-1, size} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, size}`;

// KEYS[1] lock; ARGV owner, ttl ms, "keep" | "release". 1 when emptied, 0 when not ours.
const EMPTY = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('FLUSHDB')
if ARGV[3] == 'keep' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;

// KEYS[1] lock; ARGV owner. Gives up the claim without touching the data.
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/** The model name a key belongs to, if it is a popoto key (`Book:…`, `$KeyF:Book:…`, `{Book}`). */
const modelOfKey = (key: string): string | undefined => {
  const parts = key.split(":");
  const name = key.startsWith("$") ? parts[1] : parts[0];
  return name?.replace(/^\{(.*)\}$/, "$1");
};

/** The first key of the selected database that no model of this process made, if any. */
async function foreignKey(redis: Redis): Promise<string | undefined> {
  const names = new Set(
    allModels()
      .map((model) => (model as { modelName?: unknown }).modelName)
      .filter((n) => typeof n === "string"),
  );
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "COUNT", 1000);
    cursor = next;
    const found = keys.find((key) => key !== LOCK_KEY && !names.has(modelOfKey(key) ?? ""));
    if (found !== undefined) return found;
  } while (cursor !== "0");
  return undefined;
}

const databaseCount = async (redis: Redis): Promise<number> => {
  try {
    const reply = (await redis.config("GET", "databases")) as string[];
    const count = Number(reply[1]);
    return Number.isSafeInteger(count) && count > 0 ? count : 16;
  } catch {
    // CONFIG is often denied to application users; 16 is Redis's default.
    return 16;
  }
};

const withDatabase = (url: string, database: number): string => {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
};

/**
 * Claims a database for this test file and connects popoto to it. Throws TestDatabaseError when
 * the named database is held or holds data, or when no database of the pool is free.
 */
export async function claimTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const base = options.url ?? process.env["REDIS_URL"] ?? CONNECTION_DEFAULTS.url;
  const named = /^\/(\d+)\/?$/.exec(new URL(base).pathname);
  const fixed = options.database ?? (named ? Number(named[1]) : undefined);
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  const admin = new Redis(withDatabase(base, fixed ?? 0), { maxRetriesPerRequest: 2, lazyConnect: true });
  const shown = (db: number): string => redactUrl(withDatabase(base, db));
  try {
    await admin.connect();
    const candidates =
      fixed !== undefined
        ? [fixed]
        : (options.databases ?? Array.from({ length: (await databaseCount(admin)) - 1 }, (_, i) => i + 1));
    const refused: string[] = [];
    for (const db of candidates) {
      await admin.select(db);
      const mode = fixed !== undefined && options.allowExisting === true ? "any" : "empty";
      const [status, detail] = (await admin.eval(CLAIM, 1, LOCK_KEY, owner, LOCK_TTL_MS, mode)) as [
        number,
        number | string,
      ];
      if (status === 0) {
        refused.push(`${db} is held by another test file (${String(detail)})`);
        continue;
      }
      if (status === -1) {
        refused.push(`${db} holds ${detail} key(s)`);
        continue;
      }
      if (Number(detail) > 0) {
        const foreign = await foreignKey(admin);
        if (foreign !== undefined) {
          await admin.eval(UNLOCK, 1, LOCK_KEY, owner);
          throw new TestDatabaseError(
            `Database ${db} of ${shown(db)} holds ${JSON.stringify(foreign)}, which no popoto model of ` +
              `this test file made: refusing to empty it. Point the tests at a database of their own.`,
          );
        }
      }
      await admin.eval(EMPTY, 1, LOCK_KEY, owner, LOCK_TTL_MS, "keep");
      const url = withDatabase(base, db);
      await connect(url);
      return {
        database: db,
        url: redactUrl(url),
        async reset() {
          if ((await admin.eval(EMPTY, 1, LOCK_KEY, owner, LOCK_TTL_MS, "keep")) !== 1)
            throw new TestDatabaseError(
              `Database ${db} of ${shown(db)} is no longer this test file's (its lock expired or was taken): ` +
                `not emptied.`,
            );
        },
        async release() {
          try {
            await disconnect();
            await admin.eval(EMPTY, 1, LOCK_KEY, owner, 0, "release");
          } finally {
            admin.disconnect();
          }
        },
      };
    }
    throw new TestDatabaseError(
      fixed !== undefined
        ? `Database ${refused[0] ?? fixed} (${shown(fixed)}): refusing to run tests there. Empty it, ` +
            `pass allowExisting: true when only popoto's models wrote to it, or use another database.`
        : `No free test database on ${redactUrl(base)}: ${refused.join("; ")}. Free one, or name ` +
            `the candidates with { databases: [...] }.`,
    );
  } catch (error) {
    admin.disconnect();
    throw error;
  }
}
