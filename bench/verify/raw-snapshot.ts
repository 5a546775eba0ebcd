/**
 * A fingerprint of what is stored in the benchmark database, to check that two implementations
 * wrote the same keys and bytes: every key name, and the exact contents of a sample of keys
 * (every index structure shared by many instances, and one in `sampleEvery` per-instance keys).
 */
import { createHash } from "node:crypto";
import { decode } from "@msgpack/msgpack";
import type { Redis } from "ioredis";

export interface RawSnapshot {
  readonly keyCount: number;
  /** sha1 of every key name, sorted. */
  readonly namesDigest: string;
  /** Key → sha1 of its type and exact contents. */
  readonly sample: ReadonlyMap<string, string>;
}

const sha1 = (text: string | Buffer): string => createHash("sha1").update(text).digest("hex");

/** Keys of one instance (its hash and its own `$KeyF` set) are sampled; shared structures always kept. */
const perInstance = (key: string): boolean =>
  key.startsWith("Book:") || key.startsWith("Author:") || key.startsWith("$KeyF:");

/**
 * popoto's own bookkeeping, which Popoto (and so the baseline) does not keep: the schema
 * fingerprint `$Schema:<Model>` (docs/storage.md). Left out so the two are compared on Popoto's data.
 */
const ownBookkeeping = (key: string): boolean => key.startsWith("$Schema:");

async function allKeys(redis: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "COUNT", 2000);
    cursor = next;
    keys.push(...batch.filter((key) => !ownBookkeeping(key)));
  } while (cursor !== "0");
  return keys.sort();
}

/** msgpack fixarray, array 16, array 32. */
const isList = (value: Buffer): boolean =>
  (value[0] !== undefined && value[0] >= 0x90 && value[0] <= 0x9f) || value[0] === 0xdc || value[0] === 0xdd;

/**
 * A hash value as hex, but a list (a many-relationship) as its sorted items: concurrent
 * `addRelated` calls land in no fixed order, and only the members must agree.
 */
const valueText = (value: Buffer): string =>
  isList(value)
    ? `list ${(decode(value) as unknown[])
        .map((item) => JSON.stringify(item))
        .sort()
        .join(",")}`
    : value.toString("hex");

/** Type and contents: a hash in stored field order with hex values, set members sorted, zsets as ranked. */
async function contents(redis: Redis, keys: readonly string[]): Promise<string[]> {
  const types = (await redis.pipeline(keys.map((k) => ["type", k])).exec()) ?? [];
  const pipeline = redis.pipeline();
  const kinds = types.map(([, type]) => String(type));
  keys.forEach((key, i) => {
    const type = kinds[i];
    if (type === "hash") pipeline.hgetallBuffer(key);
    else if (type === "set") pipeline.smembersBuffer(key);
    else if (type === "zset") pipeline.zrangeBuffer(key, 0, -1, "WITHSCORES");
    else pipeline.dumpBuffer(key);
  });
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([error, reply], i) => {
    if (error) throw error;
    const type = kinds[i] ?? "?";
    if (type === "hash")
      return `hash ${Object.entries(reply as Record<string, Buffer>)
        .map(([field, value]) => `${field}=${valueText(value)}`)
        .join(" ")}`;
    const items = (reply as Buffer[]).map((b) => b.toString("hex"));
    return `${type} ${(type === "set" ? items.sort() : items).join(" ")}`;
  });
}

export async function rawSnapshot(redis: Redis, sampleEvery = 10): Promise<RawSnapshot> {
  const keys = await allKeys(redis);
  const sampled = keys.filter(
    (key) => !perInstance(key) || parseInt(sha1(key).slice(0, 8), 16) % sampleEvery === 0,
  );
  const sample = new Map<string, string>();
  for (let start = 0; start < sampled.length; start += 500) {
    const batch = sampled.slice(start, start + 500);
    const texts = await contents(redis, batch);
    batch.forEach((key, i) => sample.set(key, sha1(texts[i] ?? "")));
  }
  return { keyCount: keys.length, namesDigest: sha1(keys.join("\n")), sample };
}

/** Differences between two snapshots (empty when they match). */
export function compareSnapshots(expected: RawSnapshot, actual: RawSnapshot): string[] {
  const problems: string[] = [];
  if (expected.keyCount !== actual.keyCount)
    problems.push(`${actual.keyCount} keys instead of ${expected.keyCount}`);
  else if (expected.namesDigest !== actual.namesDigest) problems.push("different key names");
  for (const [key, digest] of expected.sample) {
    const other = actual.sample.get(key);
    if (other === undefined) problems.push(`missing ${key}`);
    else if (other !== digest) problems.push(`different contents of ${key}`);
    if (problems.length >= 10) break;
  }
  return problems;
}
