/**
 * Everything the studio shows of one instance: its hash (decoded and raw), its ttl, the index
 * entries its values call for and whether each is there, its relationships, and the instances of
 * other models that point at it (from the reverse sets, never by scanning their hashes).
 */
import type { Redis } from "ioredis";
import { relationshipSet } from "../keys/keys.js";
import { decodeSnapshot, snapshotOf } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { incomingRelationships, targetName } from "../model/targets.js";
import { indexEntries, splitHashMember, type IndexEntry } from "../write/index-entries.js";
import { readHashes, type StoredInstance } from "./read-hash.js";

/** Members of a reverse set listed on the instance page; the rest are reached by a filtered table. */
export const REFERRERS_SHOWN = 10;

/** One index entry the instance's stored values call for, and what Redis holds for it. */
export interface EntryState {
  readonly entry: IndexEntry;
  /** Whether the structure holds the member. */
  readonly present: boolean;
  /** The score Redis holds, for sorted and geo sets. */
  readonly score: number | undefined;
}

/** A relationship field of the instance and the keys it holds. */
export interface RelationshipLink {
  readonly field: string;
  readonly target: string;
  readonly keys: readonly string[];
}

/** Instances of `model` whose relationship `field` points at this instance. */
export interface Referrers {
  readonly model: string;
  readonly field: string;
  readonly set: string;
  readonly count: number;
  readonly keys: readonly string[];
}

/** The instance page's data. */
export interface InstanceDetail {
  readonly instance: StoredInstance;
  /** The Redis type of the key when it is not a hash ("none" when absent). */
  readonly type: string;
  /** Milliseconds to expiry, or undefined when the key does not expire. */
  readonly ttlMs: number | undefined;
  readonly entries: readonly EntryState[];
  readonly relationships: readonly RelationshipLink[];
  readonly referrers: readonly Referrers[];
}

/** Checks each entry with SISMEMBER, HGET (a `$Index` hash) or ZSCORE, in one pipeline. */
async function entryStates(redis: Redis, entries: readonly IndexEntry[]): Promise<EntryState[]> {
  const pipeline = redis.pipeline();
  for (const e of entries) {
    if (e.kind === "s") pipeline.sismember(e.key, e.member);
    else if (e.kind === "h") pipeline.hget(e.key, splitHashMember(e.member).field);
    else pipeline.zscore(e.key, e.member);
  }
  const results = (await pipeline.exec()) ?? [];
  return entries.map((entry, i) => {
    const [error, reply] = results[i] ?? [null, null];
    if (error) return { entry, present: false, score: undefined };
    if (entry.kind === "s") return { entry, present: reply === 1, score: undefined };
    if (entry.kind === "h")
      return { entry, present: reply === splitHashMember(entry.member).value, score: undefined };
    return { entry, present: reply !== null, score: reply === null ? undefined : Number(reply) };
  });
}

/** Up to `limit` members of a set, by SSCAN (bounded work however large the set). */
async function someMembers(redis: Redis, key: string, limit: number): Promise<string[]> {
  const found = new Set<string>();
  let cursor = "0";
  let calls = 0;
  do {
    const [next, batch] = await redis.sscan(key, cursor, "COUNT", limit * 2);
    cursor = next;
    for (const member of batch) if (found.size < limit) found.add(member);
    calls++;
  } while (cursor !== "0" && found.size < limit && calls < 100);
  return [...found].sort();
}

const relationshipKeys = (value: unknown): string[] =>
  Array.isArray(value)
    ? (value as unknown[]).map(String)
    : value === null || value === undefined
      ? []
      : [String(value)];

/**
 * Reads one instance. `models` are the studio's models: reverse sets are followed for those only,
 * so every referrer listed has a page.
 */
export async function readInstance(
  redis: Redis,
  meta: ModelMeta,
  key: string,
  models: readonly ModelMeta[],
): Promise<InstanceDetail> {
  const [instance] = (await readHashes(redis, meta, [key])) as [StoredInstance];
  const [type, pttl] = await Promise.all([redis.type(key), redis.pttl(key)]);
  // The entries the stored values call for; a corrupt indexed value names what it still can.
  const values = decodeSnapshot(meta, key, instance.exists ? snapshotOf(meta, instance.raw) : null);
  const entries = instance.exists ? await entryStates(redis, indexEntries(meta, key, values)) : [];

  const relationships: RelationshipLink[] = [];
  for (const [field, spec] of meta.fields) {
    if (spec.kind !== "relationship") continue;
    const stored = instance.fields.get(field);
    relationships.push({
      field,
      target: targetName(meta.name, field, spec),
      keys: stored?.state === "value" ? relationshipKeys(stored.value) : [],
    });
  }

  const shown = new Set(models.map((m) => m.name));
  const incoming = incomingRelationships(meta.name).filter((r) => shown.has(r.model.meta.name));
  const referrers = await Promise.all(
    incoming.map(async ({ model, field }): Promise<Referrers> => {
      const set = relationshipSet(model.meta, field, key);
      const [count, keys] = await Promise.all([redis.scard(set), someMembers(redis, set, REFERRERS_SHOWN)]);
      return { model: model.meta.name, field, set, count, keys };
    }),
  );
  return {
    instance,
    type,
    ttlMs: pttl >= 0 ? pttl : undefined,
    entries,
    relationships,
    referrers,
  };
}
