/**
 * Test support: every integration suite runs against the real Redis on its own database
 * (15 unless POPOTO_TEST_DB says otherwise), flushed before each test and left empty.
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { connect, disconnect } from "../../src/index.js";

const base = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";
export const TEST_DB = Number(process.env["POPOTO_TEST_DB"] ?? 15);
export const TEST_URL = `${base.replace(/\/\d*$/, "")}/${TEST_DB}`;

/** A plain ioredis client on the test database, for raw-key assertions. */
export let raw: Redis;

/** Connects popoto and a raw client to the test database and empties it around every test. */
export function useRedis(): void {
  beforeAll(async () => {
    if (TEST_DB === 0) throw new Error("Refusing to run tests on Redis database 0; set POPOTO_TEST_DB.");
    raw = new Redis(TEST_URL);
    await connect(TEST_URL);
  });
  beforeEach(async () => {
    await raw.flushdb();
  });
  afterEach(async () => {
    await raw.flushdb();
  });
  afterAll(async () => {
    await disconnect();
    await raw.quit();
  });
}

/** Every key in the test database, sorted (SCAN, never KEYS). */
export async function allKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await raw.scan(cursor, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys.sort();
}

/** Hex of a hash field's raw bytes. */
export async function hexOf(key: string, field: string): Promise<string | null> {
  const value = await raw.hgetBuffer(key, field);
  return value === null ? null : value.toString("hex");
}
