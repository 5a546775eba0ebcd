/**
 * Reads instance hashes in one pipeline and sorts each into what the index tools need to know:
 * gone, healthy (with the entries it calls for), corrupt, misplaced, or not a hash at all.
 */
import type { Redis } from "ioredis";
import { getConnection, type RedisClient } from "../connection/connection.js";
import { CorruptDataError } from "../errors.js";
import { decodeHash, decodeSnapshot, snapshotOf } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { computeKey } from "../model/values.js";
import { indexEntries, type IndexEntry } from "../write/index-entries.js";
import type { Snapshot } from "../write/plan-write.js";

/** One instance key as read now. */
export type Row =
  | { readonly state: "gone" }
  /** Another Redis type than a hash at the instance's name. */
  | { readonly state: "wrongType" }
  | {
      readonly state: "corrupt";
      readonly field: string;
      readonly message: string;
      readonly bytes: Buffer;
      /** The entries its decodable fields name (counted, never reported). */
      readonly partial: readonly IndexEntry[];
    }
  /** Its values make another key (left alone). */
  | { readonly state: "misplaced"; readonly partial: readonly IndexEntry[] }
  | {
      readonly state: "ok";
      readonly snapshot: Snapshot;
      /** `<index key>\u0001<member>` → the entry the hash calls for. */
      readonly entries: ReadonlyMap<string, IndexEntry>;
    };

export const redis = (): Redis => getConnection() as RedisClient as Redis;

/** The identity of an index entry: its structure and member. */
export const entryId = (index: string, member: string): string => `${index}\u0001${member}`;

export const isWrongType = (error: Error | null | undefined): boolean =>
  error !== null && error !== undefined && String(error.message).includes("WRONGTYPE");

/** Classifies one HGETALL reply (an error reply, or the field map). */
export function classify(meta: ModelMeta, key: string, error: Error | null | undefined, reply: unknown): Row {
  if (isWrongType(error)) return { state: "wrongType" };
  if (error) throw error;
  const hash = new Map(Object.entries((reply ?? {}) as Record<string, Buffer>));
  if (hash.size === 0) return { state: "gone" };
  let values: Map<string, unknown>;
  try {
    values = decodeHash(meta, key, hash);
  } catch (failure) {
    if (!(failure instanceof CorruptDataError)) throw failure;
    return {
      state: "corrupt",
      field: failure.field,
      message: failure.message,
      bytes: hash.get(failure.field) ?? Buffer.alloc(0),
      partial: indexEntries(meta, key, decodeSnapshot(meta, key, snapshotOf(meta, hash))),
    };
  }
  if (computeKey(meta, values) !== key)
    return { state: "misplaced", partial: indexEntries(meta, key, values) };
  const entries = new Map(indexEntries(meta, key, values).map((e) => [entryId(e.key, e.member), e]));
  return { state: "ok", snapshot: snapshotOf(meta, hash), entries };
}

/** Reads and classifies many instance keys in one pipeline (one HGETALL each). */
export async function readRows(meta: ModelMeta, keys: readonly string[]): Promise<Map<string, Row>> {
  const rows = new Map<string, Row>();
  if (keys.length === 0) return rows;
  const pipeline = redis().pipeline();
  for (const key of keys) pipeline.hgetallBuffer(key);
  const replies = (await pipeline.exec()) ?? [];
  keys.forEach((key, i) => {
    const [error, reply] = replies[i] ?? [null, null];
    rows.set(key, classify(meta, key, error, reply));
  });
  return rows;
}
