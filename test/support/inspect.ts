/**
 * Raw views of the test database for layout assertions: every key with its type and contents,
 * read with plain ioredis calls (SCAN, never KEYS).
 */
import { expect } from "vitest";
import { allKeys, ON_CLUSTER, raw } from "./redis.js";

/** The key prefixes the storage spec defines (§5); anything else starting with `$` is popoto's own. */
const SPEC_INDEX_PREFIXES = [
  "$Class:",
  "$KeyF:",
  "$UniqueKeyF:",
  "$SortF:",
  "$SortedKeyF:",
  "$GeoF:",
  "$RelationshipF:",
];

/** True for a key that Python Popoto would also write: instance hashes and the spec's indexes. */
export const isSpecKey = (key: string): boolean =>
  !key.startsWith("$") || SPEC_INDEX_PREFIXES.some((prefix) => key.startsWith(prefix));

/** Every key of the layout the spec fixes (popoto's extra indexes, such as `$LexF`, left out). */
export async function specKeys(): Promise<string[]> {
  return (await allKeys()).filter(isSpecKey);
}

/** One key's contents: sorted set members, `member -> score` for sorted sets, `field -> hex` for hashes. */
export type Dumped =
  | { type: "set"; members: string[] }
  | { type: "zset"; members: Record<string, number> }
  | { type: "hash"; fields: Record<string, string> }
  | { type: "string"; value: string }
  | { type: string };

export async function dumpKey(key: string): Promise<Dumped> {
  const type = await raw.type(key);
  switch (type) {
    case "set":
      return { type, members: (await raw.smembers(key)).sort() };
    case "zset": {
      const flat = await raw.zrange(key, 0, -1, "WITHSCORES");
      const members: Record<string, number> = {};
      for (let i = 0; i < flat.length; i += 2) members[flat[i] as string] = Number(flat[i + 1]);
      return { type, members };
    }
    case "hash": {
      const hash = await raw.hgetallBuffer(key);
      const fields: Record<string, string> = {};
      for (const name of Object.keys(hash).sort()) fields[name] = (hash[name] as Buffer).toString("hex");
      return { type, fields };
    }
    case "string":
      return { type, value: (await raw.get(key)) ?? "" };
    default:
      return { type };
  }
}

/** Every key (or only the spec's keys) with its contents, keyed by name. */
export async function dump(options: { specOnly?: boolean } = {}): Promise<Record<string, Dumped>> {
  const keys = options.specOnly ? await specKeys() : await allKeys();
  const out: Record<string, Dumped> = {};
  for (const key of keys) out[key] = await dumpKey(key);
  return out;
}

/** The members of a set, sorted. */
export const members = async (key: string): Promise<string[]> => (await raw.smembers(key)).sort();

/** `member -> score` of a sorted set. */
export const zmembers = async (key: string): Promise<Record<string, number>> => {
  const dumped = await dumpKey(key);
  return "members" in dumped && !Array.isArray(dumped.members) ? dumped.members : {};
};

/** Keys matching a glob (`*` and `?` only), by SCAN (never KEYS); on the cluster, of every master. */
export async function scanKeys(match: string): Promise<string[]> {
  if (ON_CLUSTER) {
    // A Cluster client's SCAN walks one node: filter the keys of every master instead.
    const glob = new RegExp(
      `^${match
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".")}$`,
      "s",
    );
    return (await allKeys()).filter((key) => glob.test(key));
  }
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await raw.scan(cursor, "MATCH", match, "COUNT", 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== "0");
  return keys.sort();
}

/** hex of a fixstr (msgpack str of at most 31 bytes): length byte then UTF-8. */
export const fixstr = (text: string): string => {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > 31) throw new Error("fixstr is at most 31 bytes");
  return (0xa0 + bytes.length).toString(16) + bytes.toString("hex");
};

/** hex of a msgpack str of any length up to 65535 bytes (fixstr, str8 or str16). */
export const mpstr = (text: string): string => {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= 31) return fixstr(text);
  if (bytes.length <= 255) return `d9${bytes.length.toString(16).padStart(2, "0")}${bytes.toString("hex")}`;
  return `da${bytes.length.toString(16).padStart(4, "0")}${bytes.toString("hex")}`;
};

/** hex of a Popoto tagged map `{tag: true, "as_encodable": <payload hex>}`. */
export const taggedHex = (tag: string, payloadHex: string): string =>
  `82${fixstr(tag)}c3${fixstr("as_encodable")}${payloadHex}`;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `action`, expects it to throw (or reject), and returns the error for further assertions;
 * given `Class`, also expects the error to be one.
 */
export async function caught(action: () => unknown): Promise<unknown>;
export async function caught<T extends Error>(
  action: () => unknown,
  Class: abstract new (...args: never[]) => T,
): Promise<T>;
export async function caught(
  action: () => unknown,
  Class?: abstract new (...args: never[]) => Error,
): Promise<unknown> {
  let threw = false;
  let error: unknown;
  try {
    await action();
  } catch (e) {
    threw = true;
    error = e;
  }
  expect(threw, "expected an error to be thrown").toBe(true);
  if (Class) expect(error).toBeInstanceOf(Class);
  return error;
}
