/**
 * `popoto/testing`: a Redis database of each test file's own, for the tests of applications that
 * use popoto, under vitest or node:test.
 *
 * ```ts
 * import { afterAll, beforeAll, beforeEach } from "vitest"; // or: import { after, before, beforeEach } from "node:test";
 * import { useTestDatabase } from "popoto/testing";
 * const db = useTestDatabase({ beforeAll, afterAll, beforeEach });
 * ```
 */
import { claimTestDatabase, type TestDatabase, type TestDatabaseOptions } from "./database.js";

export { claimTestDatabase, LOCK_KEY, TestDatabaseError } from "./database.js";
export type { TestDatabase, TestDatabaseOptions } from "./database.js";

/** A test framework's hook: registers a function to run at that point. */
export type TestHook = (fn: () => Promise<void>) => unknown;

/**
 * The hooks of the test framework: vitest's `beforeAll` / `afterAll` / `beforeEach`, or
 * node:test's `before` / `after` / `beforeEach`.
 */
export type TestHooks = ({ readonly beforeAll: TestHook } | { readonly before: TestHook }) &
  ({ readonly afterAll: TestHook } | { readonly after: TestHook }) & { readonly beforeEach?: TestHook };

export interface UseTestDatabaseOptions extends TestDatabaseOptions {
  /** Empty the database before every test ("each", the default, needs `beforeEach`) or only at the start ("file"). */
  readonly reset?: "each" | "file" | undefined;
}

/** The database a test file got; read it inside tests (it is claimed by the before-all hook). */
export interface TestDatabaseHandle {
  readonly database: number;
  readonly url: string;
  /** Empties the database now (keeping the claim). */
  reset(): Promise<void>;
}

const pick = (hooks: object, ...names: string[]): TestHook | undefined => {
  for (const name of names) {
    const hook = (hooks as Record<string, unknown>)[name];
    if (typeof hook === "function") return hook as TestHook;
  }
  return undefined;
};

/**
 * Claims a database of this test file's own before its tests (connecting popoto to it), empties
 * it before each test (`reset: "each"`), and empties and releases it after them (disconnecting
 * popoto). Refuses, failing the file's before-all hook with a TestDatabaseError, a database that
 * holds data no popoto model made, or that is not empty unless `allowExisting`.
 */
export function useTestDatabase(hooks: TestHooks, options: UseTestDatabaseOptions = {}): TestDatabaseHandle {
  const before = pick(hooks, "beforeAll", "before");
  const after = pick(hooks, "afterAll", "after");
  const each = pick(hooks, "beforeEach");
  const reset = options.reset ?? "each";
  if (before === undefined || after === undefined || (reset === "each" && each === undefined))
    throw new TypeError(
      `useTestDatabase() needs the framework's hooks: { beforeAll, afterAll, beforeEach } from vitest or ` +
        `{ before, after, beforeEach } from node:test (beforeEach only with reset: "each").`,
    );
  let claimed: TestDatabase | undefined;
  const current = (): TestDatabase => {
    if (claimed === undefined)
      throw new TypeError(`The test database is claimed by the before-all hook: read it inside a test.`);
    return claimed;
  };
  before(async () => {
    claimed = await claimTestDatabase(options);
  });
  if (reset === "each" && each !== undefined)
    each(async () => {
      await current().reset();
    });
  after(async () => {
    const done = claimed;
    claimed = undefined;
    await done?.release();
  });
  return {
    get database() {
      return current().database;
    },
    get url() {
      return current().url;
    },
    reset: () => current().reset(),
  };
}
