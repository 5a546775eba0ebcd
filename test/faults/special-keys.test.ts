/**
 * Bad input, part 1: key values made of every character the key layout treats specially (`:`,
 * `/`, the glob characters, `{` `}`, `\`, the literal `{&#58;}`), spaces, emoji, NUL, empty
 * strings and 10 kB strings. They round-trip, never land on another instance's key, and exact,
 * `__in` and string lookups find exactly them. Keys are exactly Popoto's escaped parts, and in
 * cluster mode a value's braces never move a key out of its model's hash slot.
 *
 * Shared server, test database (POPOTO_TEST_DB); the cluster test runs a redis-server of its own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyField, Model, Relationship, UniqueKeyField, ValidationError, connect } from "../../src/index.js";
import { allKeys, raw, TEST_URL, useRedis } from "../support/redis.js";
import { startServer, type PrivateServer } from "../support/redis-server.js";

useRedis();

class Label extends Model("Label", { text: KeyField({ lexIndex: true }) }) {}
class Pair extends Model("Pair", { left: KeyField(), right: KeyField() }) {}
class Handle extends Model("Handle", { owner: KeyField(), handle: UniqueKeyField() }) {}
class Note extends Model("Note", { id: KeyField(), label: Relationship(Label, { null: true }) }) {}

const SPECIAL = [":", "/", "-", "*", "?", "[", "]", "^", "'", "{", "}", "\\", "{&#58;}"];
const VALUES: readonly string[] = [
  ...SPECIAL,
  SPECIAL.join(""),
  SPECIAL.join(" "),
  "a:b",
  "a/:b",
  "a{&#58;}b",
  "/{&#58;}",
  "//{&#58;}",
  "{&#58;}{&#58;}",
  "{&#58",
  "&#58;",
  "//",
  "/-",
  "\\*",
  "{Label}",
  "}{",
  "{}",
  " ",
  "  two  spaces ",
  "tab\tand\nnewline",
  "🦄",
  "a🦄b",
  "👩‍👩‍👧",
  "e\u0301",
  "東京:大阪",
  "",
  "\u0000",
  "a\u0000b",
  "x".repeat(10_000),
  "-:{}\\".repeat(2_000),
  "🦄".repeat(2_500),
];

/** Popoto's escaping, written out from docs/storage.md §1 (independently of src/keys/escape.ts). */
const escapeRef = (value: string): string =>
  value
    .replace(/[/'?*^[\]-]/g, (c) => `/${c}`)
    .split("{&#58;}")
    .map((piece) => piece.replaceAll(":", "{&#58;}"))
    .join("/{&#58;}");

/** A `$LexF` member: the value with NUL written as NUL 0x01, two NULs, the instance key. */
const lexMember = (value: string, key: string): string => `${value.replaceAll("\0", "\0\x01")}\0\0${key}`;
const reversed = (value: string): string => [...value].reverse().join("");

const show = (value: string): string =>
  value.length > 40 ? `${JSON.stringify(value.slice(0, 20))}…(${value.length})` : JSON.stringify(value);

// A one-node cluster on a server of its own. A new cluster master reports cluster_state:ok only
// about 2 s after it starts, so it is started before the other tests of this file run (and used by the last one).
let clusterDir: string;
let clusterServer: PrivateServer;
let starting: Promise<void>;

beforeAll(() => {
  clusterDir = mkdtempSync(join(tmpdir(), "popoto-cluster-"));
  starting = (async () => {
    clusterServer = await startServer({
      args: [
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        join(clusterDir, "nodes.conf"),
        "--cluster-announce-ip",
        "127.0.0.1",
      ],
    });
    await clusterServer.client().call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
  })();
  // a failure surfaces in the test that awaits `starting`
  starting.catch(() => undefined);
});

afterAll(async () => {
  await starting.catch(() => undefined);
  await clusterServer?.stop();
  rmSync(clusterDir, { recursive: true, force: true });
});

describe("key values with special characters", () => {
  it("round-trip, land on distinct keys, and are stored as exactly Popoto's escaped parts", async () => {
    const created = await Label.bulkCreate(VALUES.map((text) => ({ text })));
    const keys = created.map((l) => l.redisKey);
    expect(new Set(keys).size).toBe(VALUES.length);
    expect((await raw.smembers("$Class:Label")).sort()).toEqual([...keys].sort());
    for (const value of VALUES) {
      const key = `Label:${escapeRef(value)}`;
      expect(new Label({ text: value }).redisKey, show(value)).toBe(key);
      expect(await raw.hexists(key, "text"), show(value)).toBe(1);
      expect(await raw.smembers(`$KeyF:Label:text:${escapeRef(value)}`), show(value)).toEqual([key]);
      expect(await raw.zscore("$LexF:Label:text", lexMember(value, key)), show(value)).toBe("0");
      expect(await raw.zscore("$LexRevF:Label:text", lexMember(reversed(value), key)), show(value)).toBe("0");
      expect((await Label.load({ text: value }))?.text, show(value)).toBe(value);
      expect((await Label.load(key))?.text, show(value)).toBe(value);
    }
    // nothing but the instances and their index structures was written
    const prefixes = [
      "Label:",
      "$Class:Label",
      "$KeyF:Label:text:",
      "$LexF:Label:text",
      "$LexRevF:Label:text",
    ];
    expect((await allKeys()).filter((k) => !prefixes.some((p) => k.startsWith(p)))).toEqual([]);
    expect((await Label.checkIndexes()).differences).toEqual([]);
  });

  it("exact, __in, __startswith, __endswith and __contains find exactly the matching values", async () => {
    await Label.bulkCreate(VALUES.map((text) => ({ text })));
    const texts = async (filter: Record<string, unknown>): Promise<string[]> =>
      (await Label.query.filter(filter as never)).map((l) => l.text).sort();
    const sorted = (values: readonly string[]): string[] => [...values].sort();
    const problems: string[] = [];
    const check = async (filter: Record<string, unknown>, expected: readonly string[]): Promise<void> => {
      let found: string[];
      try {
        found = await texts(filter);
      } catch (error) {
        problems.push(
          `${Object.keys(filter)[0]} ${show(String(Object.values(filter)[0]))}: threw ${(error as Error).message.slice(0, 120)}`,
        );
        return;
      }
      if (JSON.stringify(found) !== JSON.stringify(sorted(expected)))
        problems.push(
          `${Object.keys(filter)[0]} ${show(String(Object.values(filter)[0]))}: found ${found.map(show).join(", ")}; expected ${sorted(expected).map(show).join(", ")}`,
        );
    };
    for (const [i, value] of VALUES.entries()) {
      await check({ text: value }, [value]);
      const other = VALUES[(i + 7) % VALUES.length] as string;
      await check({ text__in: [value, other] }, [value, other]);
      await check(
        { text__startswith: value },
        VALUES.filter((v) => v.startsWith(value)),
      );
      await check(
        { text__endswith: value },
        VALUES.filter((v) => v.endsWith(value)),
      );
      await check(
        { text__contains: value },
        VALUES.filter((v) => v.includes(value)),
      );
    }
    // values that are prefixes of stored ones but not stored themselves match nothing exactly
    await check({ text: "{&#5" }, []);
    await check({ text: "a" }, []);
    await check({ text__in: ["*", "?"] }, ["*", "?"]);
    expect(problems).toEqual([]);
  });

  it("two key fields with special values split back into the right values", async () => {
    const parts = [":", "/", "{&#58;}", "-", "a:b", "", "}{"];
    const pairs = parts.flatMap((left) => parts.map((right) => ({ left, right })));
    const created = await Pair.bulkCreate(pairs);
    expect(new Set(created.map((p) => p.redisKey)).size).toBe(pairs.length);
    const sortPairs = (list: { left: string; right: string }[]) =>
      list.map((p) => JSON.stringify([p.left, p.right])).sort();
    expect(sortPairs(await Pair.query.values("left", "right"))).toEqual(sortPairs(pairs));
    for (const { left, right } of pairs) {
      const found = await Pair.query.filter({ left, right });
      expect(
        found.map((p) => [p.left, p.right]),
        JSON.stringify([left, right]),
      ).toEqual([[left, right]]);
      expect(await Pair.query.filter({ left }).count()).toBe(parts.length);
    }
  });

  it("a UniqueKeyField with a special value is unique by its value, not by its escaped text", async () => {
    await Handle.create({ owner: "a", handle: "x:y" });
    await Handle.create({ owner: "b", handle: "x{&#58;}y" });
    await Handle.create({ owner: "c", handle: "x/:y" });
    await expect(Handle.create({ owner: "d", handle: "x:y" })).rejects.toMatchObject({
      code: "UNIQUE_VIOLATION",
      holder: "Handle:x{&#58;}y:a",
    });
    expect(await raw.smembers("$UniqueKeyF:Handle:handle:x/{&#58;}y")).toEqual(["Handle:x/{&#58;}y:b"]);
    expect(await Handle.query.count()).toBe(3);
  });

  it("a relationship to an instance with a special key finds its referrers", async () => {
    const labels = await Label.bulkCreate(["a:b", "{&#58;}", "-*?", "}{"].map((text) => ({ text })));
    for (const [i, label] of labels.entries()) await Note.create({ id: `n${i}`, label });
    for (const [i, label] of labels.entries()) {
      expect(await raw.smembers(`$RelationshipF:Note:label:${label.redisKey}`)).toEqual([`Note:n${i}`]);
      expect((await Note.query.filter({ label })).map((n) => n.id)).toEqual([`n${i}`]);
      expect((await Note.query.filter({ label__text: label.text })).map((n) => n.id)).toEqual([`n${i}`]);
    }
    expect((await Note.query.filter({ label__text__startswith: "{" })).map((n) => n.id).sort()).toEqual([
      "n1",
    ]);
  });

  it("strings that are not valid Unicode (lone surrogates) are refused, or kept apart from other values", async () => {
    // Redis keys are UTF-8: a lone surrogate cannot be written as itself, so it must not be
    // silently replaced (both "\uD800" and "\uDBFF" would become the key of "\uFFFD").
    await Label.create({ text: "\uFFFD" });
    const outcomes: string[] = [];
    const accepted: string[] = [];
    for (const text of ["\uD800", "\uDBFF", "a\uDFFFb"]) {
      try {
        await Label.create({ text });
        accepted.push(text);
        outcomes.push(`${JSON.stringify(text)} stored at ${JSON.stringify(new Label({ text }).redisKey)}`);
      } catch (error) {
        expect(error, String(error)).toBeInstanceOf(ValidationError);
      }
    }
    // every value that was accepted is its own instance, and the valid "\uFFFD" is untouched
    const stored = (await Label.query.all()).map((l) => JSON.stringify(l.text)).sort();
    expect(stored, outcomes.join("; ")).toEqual(["\uFFFD", ...accepted].map((t) => JSON.stringify(t)).sort());
    expect((await Label.load({ text: "\uFFFD" }))?.text).toBe("\uFFFD");
  });
});

describe("hash slots in cluster mode", () => {
  it("braces in values never change the slot of a model's keys", async () => {
    await starting;
    const admin = clusterServer.client();
    let cluster: Cluster | undefined;
    try {
      for (
        let i = 0;
        i < 100 && !String(await admin.call("CLUSTER", "INFO")).includes("cluster_state:ok");
        i++
      )
        await new Promise((resolve) => setTimeout(resolve, 50));
      cluster = new Cluster([{ host: "127.0.0.1", port: clusterServer.port }], {
        redisOptions: { maxRetriesPerRequest: 1 },
      });
      await connect(cluster);
      const braces = ["{a}", "}{", "{", "}", "{}", "x{y}z", "{&#58;}", "a:b{c}", "{Note}", "{Label}:x"];
      const labels = [];
      for (const text of braces) labels.push(await Label.create({ text }));
      for (const [i, label] of labels.entries()) await Note.create({ id: `{n${i}}`, label });
      await Pair.create({ left: "{x}", right: "{y}" });
      // every key of a model is in the slot of its `{Model}` tag
      const slot = async (key: string): Promise<number> =>
        Number(await admin.call("CLUSTER", "KEYSLOT", key));
      const slots = { Label: await slot("{Label}"), Note: await slot("{Note}"), Pair: await slot("{Pair}") };
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await admin.scan(cursor, "COUNT", 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== "0");
      expect(keys.length).toBeGreaterThan(braces.length * 3);
      for (const key of keys) {
        // Redis hashes the text between the first "{" and the first "}" after it
        const open = key.indexOf("{");
        const tag = key.slice(open + 1, key.indexOf("}", open + 1));
        expect(["Label", "Note", "Pair"], `hash tag of ${key}`).toContain(tag);
        expect(await slot(key), key).toBe(slots[tag as keyof typeof slots]);
      }
      // and every read and write of these instances is a single-slot script (no CROSSSLOT)
      for (const [i, label] of labels.entries()) {
        expect((await Label.load({ text: braces[i] as string }))?.text).toBe(braces[i]);
        expect((await Note.query.filter({ label })).map((n) => n.id)).toEqual([`{n${i}}`]);
        expect((await Label.query.filter({ text__startswith: braces[i] as string })).length).toBeGreaterThan(
          0,
        );
      }
      for (const label of labels) expect(await label.delete()).toBe(true);
    } finally {
      cluster?.disconnect();
      await connect(TEST_URL);
    }
  }, 20_000);
});
