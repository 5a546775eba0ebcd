/**
 * Pass over the index keys: for each SCAN step of `$*` keys, read the model's small index
 * structures (up to `batchSize` members) together, several per pipeline, up to `batchSize` members
 * per chunk; check each member against the instance it names; report every entry no hash calls
 * for (stale). Large structures are set aside (large-keys.ts) and, after the instance pass, read
 * by SSCAN / ZSCAN, a batch at a time, only when their size says they hold a stale entry. Also
 * finds index keys of another Redis type (deleted by a repair) and ttl shadows whose instance is
 * gone. Holds one chunk at a time.
 */
import { splitKey } from "../keys/escape.js";
import { indexValuesHash, tagPointerInstance } from "../keys/keys.js";
import { valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { hashMember, indexEntries } from "../write/index-entries.js";
import { confirm } from "./confirm.js";
import { fix } from "./fix.js";
import type { PassOptions } from "./instance-pass.js";
import type { LargeKeys, StructureType } from "./large-keys.js";
import { moveKey } from "./move-keys.js";
import { entryId, isWrongType, readRows, redis, type Row } from "./rows.js";
import type { Tally } from "./tally.js";
import type { IndexDifference } from "./types.js";
import { indexKeys, type IndexKey } from "./walk.js";

/** One index member as read, with its score for a sorted set. */
interface Item {
  readonly index: string;
  readonly member: string;
  readonly score?: number | undefined;
}

/**
 * The instance an index member is about: the member itself, the key after a lex member's value or
 * a hash entry's field (`hashMember`), or, in a `$TagPtr` pointer set (whose members are tag
 * sets), the instance the set is named after.
 */
export const instanceOf = (index: string, member: string): string => {
  const pointed = tagPointerInstance(index);
  if (pointed !== undefined) return pointed;
  const at = member.indexOf("\0\0");
  return at === -1 ? member : member.slice(at + 2);
};

/** Flat [field, value, …] replies of HSCAN (or an HGETALL map) as items, one per hash entry. */
const hashItems = (index: string, flat: readonly string[]): Item[] => {
  const items: Item[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2)
    items.push({ index, member: hashMember(flat[i] as string, flat[i + 1] as string) });
  return items;
};

/** Flat [member, score, …] replies of ZRANGE WITHSCORES / ZSCAN as items. */
const zsetItems = (index: string, flat: readonly string[]): Item[] => {
  const items: Item[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2)
    items.push({ index, member: flat[i] as string, score: Number(flat[i + 1]) });
  return items;
};

/** The entries an instance key names by itself (class set, key fields): only its existence decides them. */
const keyEntries = (meta: ModelMeta, instance: string): Set<string> =>
  splitKey(instance).length === meta.keyFields.length + 1
    ? new Set(
        indexEntries(meta, instance, valuesFromKey(meta, instance)).map((e) => entryId(e.key, e.member)),
      )
    : new Set();

/**
 * Checks one chunk of members against the instances they name; reports (or removes) what is stale.
 * An entry the instance's key names by itself needs only EXISTS; any other, the hash (HGETALL).
 */
async function checkItems(
  meta: ModelMeta,
  items: readonly Item[],
  tally: Tally,
  options: PassOptions,
): Promise<void> {
  tally.entries += items.length;
  const named = new Map<string, Set<string>>();
  const needsHash = new Set<string>();
  const needsExists = new Set<string>();
  for (const { index, member } of items) {
    const instance = instanceOf(index, member);
    let entries = named.get(instance);
    if (!entries) named.set(instance, (entries = keyEntries(meta, instance)));
    (entries.has(entryId(index, member)) ? needsExists : needsHash).add(instance);
  }
  for (const instance of needsHash) needsExists.delete(instance);
  const rows = await readRows(meta, [...needsHash]);
  const existing = [...needsExists];
  const pipeline = redis().pipeline();
  for (const instance of existing) pipeline.exists(instance);
  const replies = existing.length > 0 ? ((await pipeline.exec()) ?? []) : [];
  const exists = new Map(existing.map((instance, i) => [instance, replies[i]?.[1] === 1]));
  const found: IndexDifference[] = [];
  const seen = new Set<string>();
  for (const { index, member, score } of items) {
    const id = entryId(index, member);
    // SSCAN / ZSCAN may return a member twice while the set is rehashed.
    if (seen.has(id)) continue;
    seen.add(id);
    const instance = instanceOf(index, member);
    const row = rows.get(instance);
    if (row === undefined) {
      if (exists.get(instance) === false)
        found.push({ kind: "stale", index, member, instance, actual: score });
      continue;
    }
    // A corrupt, misplaced or wrong-typed row is reported by the instance pass; its entries are left alone.
    if (row.state !== "ok" && row.state !== "gone") continue;
    if (row.state === "ok" && row.entries.has(id)) continue; // wrong scores: found by the instance pass
    found.push({ kind: "stale", index, member, instance, actual: score });
  }
  tally.hold(items.length + named.size + rows.size + found.length);
  await report(meta, found, rows, tally, options);
}

/**
 * Confirms stale entries and reports or removes them. A removal adds nothing (rebuild's additions
 * are the instance pass's, so `added` counts exactly the entries that were missing).
 */
async function report(
  meta: ModelMeta,
  found: readonly IndexDifference[],
  rows: ReadonlyMap<string, Row>,
  tally: Tally,
  options: PassOptions,
): Promise<void> {
  const confirmed = await confirm(meta, found);
  if (options.repair === undefined) for (const d of confirmed) tally.addDifference(d);
  else await fix(meta, confirmed, rows, false, options.batchSize, tally);
}

/** Shadows whose instance is gone: the leftovers of an expired instance. */
async function checkShadows(
  meta: ModelMeta,
  shadows: readonly string[],
  tally: Tally,
  options: PassOptions,
): Promise<void> {
  if (shadows.length === 0) return;
  const prefix = indexValuesHash(meta, "");
  const pipeline = redis().pipeline();
  for (const shadow of shadows) pipeline.exists(shadow.slice(prefix.length));
  const replies = (await pipeline.exec()) ?? [];
  const found: IndexDifference[] = shadows.flatMap((shadow, i) =>
    replies[i]?.[1] === 0
      ? [{ kind: "stale" as const, index: shadow, member: "", instance: shadow.slice(prefix.length) }]
      : [],
  );
  await report(meta, found, new Map(), tally, options);
}

/** Reports (and with a repair, deletes) index keys and shadows holding another Redis type. */
async function wrongTyped(keys: readonly IndexKey[], tally: Tally, options: PassOptions): Promise<void> {
  if (keys.length === 0) return;
  const pipeline = redis().pipeline();
  for (const { key } of keys) pipeline.type(key);
  const replies = (await pipeline.exec()) ?? [];
  for (const [i, { key, type }] of keys.entries()) {
    const actual = String(replies[i]?.[1] ?? "none");
    const expected = type === "shadow" ? "hash" : type;
    if (actual === "none" || actual === expected) continue;
    tally.wrongType.add({ key, actual, expected });
    // Not popoto's index: deleting it lets rebuild (the instance pass after this one) restore it.
    if (options.repair !== undefined && (await moveKey(key, "delete", { check: "type", type: actual })))
      tally.deletedKeys.add(key);
  }
}

/** Reads one structure by SSCAN / ZSCAN / HSCAN, a batch at a time, checking each batch. */
async function scanStructure(
  meta: ModelMeta,
  key: string,
  type: StructureType,
  tally: Tally,
  options: PassOptions,
): Promise<void> {
  let cursor = "0";
  do {
    const [next, flat] =
      type === "set"
        ? await redis().sscan(key, cursor, "COUNT", options.batchSize)
        : type === "zset"
          ? await redis().zscan(key, cursor, "COUNT", options.batchSize)
          : await redis().hscan(key, cursor, "COUNT", options.batchSize);
    cursor = next;
    const items =
      type === "set"
        ? flat.map((member) => ({ index: key, member }))
        : type === "zset"
          ? zsetItems(key, flat)
          : hashItems(key, flat);
    if (items.length > 0) await checkItems(meta, items, tally, options);
  } while (cursor !== "0");
}

/** Reads small structures whole, several per pipeline, up to a batch of members per chunk. */
async function readSmall(
  meta: ModelMeta,
  small: readonly { key: IndexKey; size: number }[],
  tally: Tally,
  options: PassOptions,
): Promise<void> {
  for (let start = 0; start < small.length;) {
    const group: IndexKey[] = [];
    let members = 0;
    while (start < small.length) {
      const next = small[start] as { key: IndexKey; size: number };
      if (group.length > 0 && members + next.size > options.batchSize) break;
      group.push(next.key);
      members += next.size;
      start++;
    }
    const read = redis().pipeline();
    for (const { key, type } of group) {
      if (type === "set") read.smembers(key);
      else if (type === "hash") read.hgetall(key);
      else read.zrange(key, 0, -1, "WITHSCORES");
    }
    const lists = (await read.exec()) ?? [];
    const items = group.flatMap(({ key, type }, i) => {
      const [error, list] = lists[i] ?? [null, []];
      if (error) return []; // replaced by another type meanwhile: the next check reports it
      if (type === "hash") return hashItems(key, Object.entries(list as Record<string, string>).flat());
      const flat = list as string[];
      return type === "set" ? flat.map((member) => ({ index: key, member })) : zsetItems(key, flat);
    });
    await checkItems(meta, items, tally, options);
  }
}

/** Checks (or repairs) the model's small index structures; sets the large ones aside in `large`. */
export async function indexPass(
  meta: ModelMeta,
  tally: Tally,
  options: PassOptions,
  large: LargeKeys,
): Promise<void> {
  for await (const keys of indexKeys(meta, options.batchSize, options.progress)) {
    if (keys.length === 0) continue;
    const sizes = redis().pipeline();
    for (const { key, type } of keys) {
      if (type === "set") sizes.scard(key);
      else if (type === "zset") sizes.zcard(key);
      else if (type === "hash") sizes.hlen(key);
      else sizes.type(key);
    }
    const replies = (await sizes.exec()) ?? [];
    const bad: IndexKey[] = [];
    const shadows: string[] = [];
    const small: { key: IndexKey; size: number }[] = [];
    const now: IndexKey[] = [];
    keys.forEach((key, i) => {
      const [error, reply] = replies[i] ?? [null, null];
      if (isWrongType(error) || (key.type === "shadow" && reply !== "hash" && reply !== "none")) {
        bad.push(key);
        return;
      }
      if (error) throw error;
      if (key.type === "shadow") {
        if (reply === "hash") shadows.push(key.key);
        return;
      }
      const size = Number(reply);
      if (size === 0) return;
      tally.indexKeys++;
      if (size <= options.batchSize) small.push({ key, size });
      else if (!large.defer(key.key, key.type)) now.push(key);
    });
    await wrongTyped(bad, tally, options);
    await checkShadows(meta, shadows, tally, options);
    await readSmall(meta, small, tally, options);
    for (const { key, type } of now)
      if (type !== "shadow") await scanStructure(meta, key, type, tally, options);
  }
}

/**
 * After the instance pass: a large structure whose size is the count of entries the instances
 * called for, and found there, holds nothing else; any other is read member by member.
 */
export async function largeKeysPass(
  meta: ModelMeta,
  tally: Tally,
  options: PassOptions,
  large: LargeKeys,
): Promise<void> {
  const all = [...large.keys];
  for (let start = 0; start < all.length; start += options.batchSize) {
    const batch = all.slice(start, start + options.batchSize);
    const sizes = redis().pipeline();
    for (const [key, { type }] of batch) {
      if (type === "set") sizes.scard(key);
      else if (type === "hash") sizes.hlen(key);
      else sizes.zcard(key);
    }
    const replies = (await sizes.exec()) ?? [];
    for (const [i, [key, { type, counted }]] of batch.entries()) {
      const [error, size] = replies[i] ?? [null, 0];
      if (error) continue; // replaced by another type meanwhile: the next check reports it
      tally.entries += counted;
      if (Number(size) !== counted) {
        tally.entries -= counted; // read member by member below, and counted there
        await scanStructure(meta, key, type, tally, options);
      }
    }
  }
}
