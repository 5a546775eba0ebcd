/**
 * popoto/testing (src/testing): a database of each test file's own, from vitest (this file's
 * first suite uses it on the test database) and from node:test (a child process), and its
 * refusals, on a private redis-server with 4 databases so the shared server is never claimed from.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getConnection, isPopotoError, KeyField, Model } from "../../src/index.js";
import { claimTestDatabase, LOCK_KEY, TestDatabaseError, useTestDatabase } from "../../src/testing/index.js";
import { startServer, type PrivateServer } from "../support/redis-server.js";
import { ON_CLUSTER, TEST_DB, TEST_URL } from "../support/redis.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

class Widget extends Model("Widget", { name: KeyField() }) {}

describe.skipIf(ON_CLUSTER)("useTestDatabase under vitest", () => {
  const db = useTestDatabase({ beforeAll, afterAll, beforeEach }, { url: TEST_URL });

  it("connects popoto to the named database and holds the claim", async () => {
    expect(db.database).toBe(TEST_DB);
    await Widget.create({ name: "w" });
    expect(await getConnection().exists("Widget:w", LOCK_KEY)).toBe(2);
  });

  it("starts every test empty", async () => {
    expect(await getConnection().dbsize()).toBe(1);
    expect(await Widget.query.count()).toBe(0);
  });
});

describe.skipIf(ON_CLUSTER)("claimTestDatabase on a server of its own", () => {
  let server: PrivateServer;
  let base: string;
  const client = (db: number): Redis => server.client(db);

  beforeAll(async () => {
    server = await startServer({ args: ["--save", "", "--appendonly", "no", "--databases", "4"] });
    base = `redis://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    for (const db of [0, 1, 2, 3]) await client(db).flushdb();
  });

  it("refuses a database holding a key no model made, and leaves it alone", async () => {
    await client(2).set("session:42", "someone else's");
    const error = await claimTestDatabase({ url: `${base}/2`, allowExisting: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TestDatabaseError);
    expect(isPopotoError(error, "TEST_DATABASE")).toBe(true);
    expect((error as Error).message).toContain('holds "session:42", which no popoto model');
    expect(await client(2).get("session:42")).toBe("someone else's");
    expect(await client(2).exists(LOCK_KEY)).toBe(0);
  });

  it("refuses a non-empty database unless allowExisting, and then only popoto's keys", async () => {
    await client(1).hset("Widget:old", "name", "\xa3old");
    await client(1).sadd("$Class:Widget", "Widget:old");
    const refused = await claimTestDatabase({ url: `${base}/1` }).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/Database 1 holds 2 key\(s\).*allowExisting/);
    expect(await client(1).dbsize()).toBe(2);

    const claimed = await claimTestDatabase({ url: base, database: 1, allowExisting: true });
    expect(claimed.database).toBe(1);
    expect(await client(1).exists("Widget:old", "$Class:Widget")).toBe(0);
    await claimed.release();
    expect(await client(1).dbsize()).toBe(0);
  });

  it("claims a free database per test file, never one held or holding data, and says when none is free", async () => {
    await client(1).set("foreign", "x");
    const first = await claimTestDatabase({ url: base });
    const second = await claimTestDatabase({ url: base });
    expect([first.database, second.database]).toEqual([2, 3]);
    const none = await claimTestDatabase({ url: base }).catch((e: unknown) => e);
    expect((none as Error).message).toMatch(
      /No free test database on redis:\/\/127\.0\.0\.1:\d+: 1 holds 1 key\(s\); 2 is held by another test file .*; 3 is held/,
    );
    // The named database of another file is refused too.
    const held = await claimTestDatabase({ url: `${base}/2` }).catch((e: unknown) => e);
    expect((held as Error).message).toMatch(/Database 2 is held by another test file/);
    await second.release();
    await first.release();
    expect([await client(2).dbsize(), await client(3).dbsize(), await client(1).dbsize()]).toEqual([0, 0, 1]);
  });

  it("gives a node:test file its own database, empty for each test, released at the end", async () => {
    await client(1).set("foreign", "x");
    const run = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "--test", "test/fixtures/node-test-isolation.ts"],
        { cwd: ROOT, env: { ...process.env, POPOTO_ISOLATION_URL: base }, timeout: 120_000 },
      );
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, out }));
    });
    expect(run.out).toMatch(/# pass 2/);
    expect(run.out).toContain("database 2");
    expect(run.code).toBe(0);
    expect([await client(1).dbsize(), await client(2).dbsize(), await client(3).dbsize()]).toEqual([1, 0, 0]);
  });
});
