/**
 * Pass over the index keys: for each SCAN step of `$*` keys, read the model's index structures in
 * bounded chunks (small ones together in one pipeline, up to `batchSize` members per chunk; a
 * large one by SSCAN / ZSCAN, `batchSize` at a time), read the instances the members name in one
 * pipeline, and report every entry no hash calls for (stale). Also finds index keys of another
 * Redis type (deleted by a repair) and ttl shadows whose instance is gone. Holds one chunk at a time.
 */
import type { ModelMeta } from "../model/meta.js";
import { indexValuesHash } from "../keys/keys.js";
import { confirm } from "./confirm.js";
import { fix } from "./fix.js";
import type { PassOptions } from "./instance-pass.js";
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

/** The instance an index member is about: the member itself, or the key after a lex member's value. */
export const instanceOf = (member: string): string => {
  const at = member.indexOf("\0\0");
  return at === -1 ? member : member.slice(at + 2);
};

/** Flat [member, score, …] replies of ZRANGE WITHSCORES / ZSCAN as items. */
const zsetItems = (index: string, flat: readonly string[]): Item[] => {
  const items: Item[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2)
    items.push({ index, member: flat[i] as string, score: Number(flat[i + 1]) });
  return items;
};

/** Checks one chunk of members against the hashes they name; adds (or repairs) what is stale. */
async function checkItems(
  meta: ModelMeta,
  items: readonly Item[],
  tally: Tally,
  options: PassOptions,
): Promise<void> {
  tally.entries += items.length;
  const rows = await readRows(meta, [...new Set(items.map((item) => instanceOf(item.member)))]);
  const found: IndexDifference[] = [];
  const seen = new Set<string>();
  for (const { index, member, score } of items) {
    const id = entryId(index, member);
    // SSCAN / ZSCAN may return a member twice while the set is rehashed.
    if (seen.has(id)) continue;
    seen.add(id);
    const instance = instanceOf(member);
    const row = rows.get(instance);
    // A corrupt, misplaced or wrong-typed row is reported by the instance pass; its entries are left alone.
    if (row === undefined || (row.state !== "ok" && row.state !== "gone")) continue;
    if (row.state === "ok" && row.entries.has(id)) continue; // wrong scores: found by the instance pass
    found.push({ kind: "stale", index, member, instance, actual: score });
  }
  tally.hold(items.length + rows.size + found.length);
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

/** Checks (or repairs) every index structure of the model, chunk by chunk. */
export async function indexPass(meta: ModelMeta, tally: Tally, options: PassOptions): Promise<void> {
  const batch = options.batchSize;
  for await (const keys of indexKeys(meta, batch, options.progress)) {
    if (keys.length === 0) continue;
    const structures = keys.filter((k) => k.type !== "shadow");
    const sizes = redis().pipeline();
    for (const { key, type } of keys) {
      if (type === "set") sizes.scard(key);
      else if (type === "zset") sizes.zcard(key);
      else sizes.type(key);
    }
    const replies = (await sizes.exec()) ?? [];
    const bad: IndexKey[] = [];
    const shadows: string[] = [];
    const sized: { key: IndexKey; size: number }[] = [];
    keys.forEach((key, i) => {
      const [error, reply] = replies[i] ?? [null, null];
      if (isWrongType(error) || (key.type === "shadow" && reply !== "hash" && reply !== "none"))
        bad.push(key);
      else if (error) throw error;
      else if (key.type === "shadow") {
        if (reply === "hash") shadows.push(key.key);
      } else if (Number(reply) > 0) sized.push({ key, size: Number(reply) });
    });
    tally.indexKeys += structures.length - bad.filter((k) => k.type !== "shadow").length;
    await wrongTyped(bad, tally, options);
    await checkShadows(meta, shadows, tally, options);
    // Small structures: read whole, several per pipeline, up to `batch` members per chunk.
    const small = sized.filter((s) => s.size <= batch);
    for (let start = 0; start < small.length;) {
      const group: IndexKey[] = [];
      let members = 0;
      while (start < small.length && (group.length === 0 || members + (small[start]?.size ?? 0) <= batch)) {
        const next = small[start++] as { key: IndexKey; size: number };
        group.push(next.key);
        members += next.size;
      }
      const read = redis().pipeline();
      for (const { key, type } of group) {
        if (type === "set") read.smembers(key);
        else read.zrange(key, 0, -1, "WITHSCORES");
      }
      const lists = (await read.exec()) ?? [];
      const items = group.flatMap(({ key, type }, i) => {
        const [error, list] = lists[i] ?? [null, []];
        if (error) return []; // replaced by another type meanwhile: the next check reports it
        const flat = list as string[];
        return type === "set" ? flat.map((member) => ({ index: key, member })) : zsetItems(key, flat);
      });
      await checkItems(meta, items, tally, options);
    }
    // Large structures: SSCAN / ZSCAN, one chunk at a time.
    for (const { key } of sized.filter((s) => s.size > batch)) {
      let cursor = "0";
      do {
        const [next, flat] =
          key.type === "set"
            ? await redis().sscan(key.key, cursor, "COUNT", batch)
            : await redis().zscan(key.key, cursor, "COUNT", batch);
        cursor = next;
        const items =
          key.type === "set" ? flat.map((member) => ({ index: key.key, member })) : zsetItems(key.key, flat);
        if (items.length > 0) await checkItems(meta, items, tally, options);
      } while (cursor !== "0");
    }
  }
}
