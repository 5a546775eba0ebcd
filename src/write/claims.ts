/**
 * Unique values of sharded models (docs/storage.md §7a, "Unique values"). A bucket's write script
 * checks its own `$UniquF` / unique `$CompositeF` set, but two buckets are two slots, so a value
 * must also be claimed across buckets: one claim per value (`$UniqueClaim:…`, in the value's own
 * slot) names the instance, so the bucket, that may hold it.
 *
 * - A write that adds a value takes its claim first (`claim.lua` "take"), then writes in its
 *   bucket with a guard that the claim's fence there is empty (`write.lua` guards).
 * - A claim naming another bucket is taken over only when no live instance of that bucket holds
 *   the value, checked and fenced in one script there (`fence.lua`): a write of the value in that
 *   bucket either landed first (the value is held: UniqueViolationError) or carries the fenced
 *   token and fails. Then the claim is swapped, compare-and-set on its token.
 * - A claim younger than CLAIM_LEASE_MS whose value is not yet held is a write in flight: the
 *   taker waits (with backoff, until the write deadline) instead of fencing it, so racing
 *   creates do not fence each other in turn. Age only decides waiting; correctness never
 *   depends on clocks.
 * - After the write, claims of values the instance no longer holds are released the same way
 *   (checked and fenced in the bucket, then dropped on their token); so are claims a failed write
 *   took. A crash between any two steps leaves a claim naming a bucket that does not hold its
 *   value: the next taker fences and takes it over. Two buckets never hold one value, because an
 *   instance enters a bucket's set for a value only with the unfenced token of the claim naming
 *   that bucket.
 */
import { randomBytes } from "node:crypto";
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { fenceSeconds } from "../connection/fence.js";
import { ConcurrentModificationError } from "../errors.js";
import { claimFence, claimKey, sameBucket, uniqueSetInBucketOf } from "../keys/claims.js";
import { isKeyOfModel } from "../keys/keys.js";
import { decodeSnapshot, type Snapshot } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { uniqueSets } from "./index-entries.js";
import type { Guard, SaveContent } from "./plan-write.js";

/** How long a claim whose value is not held yet counts as a write in flight (waited for, not fenced). */
export const CLAIM_LEASE_MS = 2000;

/** A claim held for a write: the value's claim key and token, and the fence the write is guarded by. */
export interface HeldClaim {
  readonly claim: string;
  readonly token: string;
  /** The value's set in the writing instance's bucket. */
  readonly set: string;
  /** Field (or composite fields joined with `+`) the value belongs to. */
  readonly label: string;
  readonly fence: string;
  /** True when this write took the claim (so releases it if the write fails). */
  readonly taken: boolean;
}

/** A unique set whose value sharded models claim: a UniqueField's, or a unique composite index's. */
const claimed = (meta: ModelMeta, label: string): boolean =>
  label.includes("+") || meta.fields.get(label)?.kind === "unique";

/** Whether writes of this model take claims: a sharded model with a UniqueField or a unique index. */
export const needsClaims = (meta: ModelMeta): boolean =>
  meta.shards > 1 &&
  ([...meta.fields.values()].some((spec) => spec.kind === "unique") ||
    meta.compositeIndexes.some((index) => index.unique));

/** The claimed values a write's content adds (label and the value's set in the new key's bucket). */
export const claimsOf = (meta: ModelMeta, content: SaveContent | undefined): (readonly [string, string])[] =>
  needsClaims(meta) && content ? content.unique.filter(([label]) => claimed(meta, label)) : [];

/**
 * The claimed values an instance stored at `key` in state `expected` held and the write no longer
 * does (its new entries lack their sets): their claims are released after the write.
 */
export const releasedBy = (
  meta: ModelMeta,
  key: string,
  expected: Snapshot,
  content: SaveContent | undefined,
): (readonly [string, string])[] => {
  if (!needsClaims(meta) || expected === null) return [];
  const kept = new Set((content?.newEntries ?? []).map((entry) => entry.key));
  let old: (readonly [string, string])[];
  try {
    old = uniqueSets(meta, decodeSnapshot(meta, key, expected), key);
  } catch {
    // Stored bytes that do not decode name no value to release.
    return [];
  }
  return old.filter(([label, set]) => claimed(meta, label) && !kept.has(set));
};

/** The guards a write carrying these claims runs with: each claim's fence in its bucket is empty. */
export const fenceGuards = (held: readonly HeldClaim[]): Guard[] =>
  held.map((claim) => ({ key: claim.fence, members: [] }));

const text = (reply: ScriptReply | undefined): string =>
  Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply ?? "");

const call = async (script: keyof typeof scripts, keys: string[], args: string[]): Promise<string[]> => {
  const reply = (await runScript(getConnection(), scripts[script], keys, args)) as ScriptReply[];
  return reply.map(text);
};

const pause = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 * 2 ** attempt)));

/**
 * Takes the claim of the value whose set (in `key`'s bucket) is `set`, for the instance at `key`.
 * Returns the claim held, or the key of a live instance of another bucket holding the value.
 */
export async function takeClaim(
  meta: ModelMeta,
  label: string,
  set: string,
  key: string,
  deadline: number,
  deadlineMs: number,
  /** Tokens this write found fenced (its guard failed): such a claim is swapped, never reused. */
  fenced: ReadonlySet<string> = new Set(),
): Promise<{ held: HeldClaim } | { holder: string }> {
  const claim = claimKey(meta.name, set);
  const token = randomBytes(8).toString("hex");
  const mine = (found: string, taken: boolean): { held: HeldClaim } => ({
    held: { claim, token: found, set, label, fence: claimFence(key, found), taken },
  });
  for (let attempt = 0; ; attempt++) {
    const [status, theirs = "", holder = "", at = "0"] = await call(
      "claim",
      [claim],
      ["take", token, key, String(Date.now())],
    );
    if (status === "TAKEN") return mine(token, true);
    // A claim naming this bucket (this instance, or another one there) already covers the write:
    // within a bucket, the write script's own set check keeps the value to one instance.
    if (sameBucket(holder, key) && !fenced.has(theirs)) return mine(theirs, false);
    // Not a key of the model in any layout it was seen in (nothing to fence: a reshard re-points
    // claims to the new layout's keys), or a claim already fenced (its taker stopped before the
    // swap): it can be swapped at once.
    let swap = !isKeyOfModel(meta.name, holder) || fenced.has(theirs);
    if (!swap) {
      const old = Date.now() - Number(at) >= CLAIM_LEASE_MS;
      const [found, live = ""] = await call(
        "fence",
        [uniqueSetInBucketOf(set, holder), claimFence(holder, theirs)],
        [old ? "fence" : "check", String(fenceSeconds())],
      );
      if (found === "LIVE") return { holder: live };
      swap = found === "FENCED";
    }
    if (swap) {
      const [swapped] = await call("claim", [claim], ["swap", token, key, String(Date.now()), theirs]);
      if (swapped === "TAKEN") return mine(token, true);
      continue; // the claim changed meanwhile: look at it again
    }
    // A young claim whose value is not held yet: its write is in flight. Wait for it to land or go.
    if (Date.now() >= deadline)
      throw new ConcurrentModificationError(meta.name, key, attempt + 1, { deadlineMs });
    await pause(attempt);
  }
}

/**
 * Releases the claim of the value whose set is `set` (in `key`'s bucket) if it names that bucket
 * and no live instance there holds the value: fenced there, then dropped on its token. Best
 * effort: a claim left behind (a lost reply, a crash) names a bucket that does not hold its
 * value, and the next taker fences and takes it over.
 */
export async function releaseClaim(meta: ModelMeta, set: string, key: string): Promise<void> {
  const claim = claimKey(meta.name, set);
  try {
    let stored: (string | null)[];
    try {
      stored = await getConnection().hmget(claim, "token", "holder");
    } catch (error) {
      throw wrapRedisError(error, [claim]);
    }
    const [token, holder] = stored;
    if (!token || !holder || !sameBucket(holder, key)) return;
    const [found] = await call("fence", [set, claimFence(key, token)], ["fence", String(fenceSeconds())]);
    if (found === "FENCED") await call("claim", [claim], ["drop", token]);
  } catch {
    // Left behind, the claim is taken over by the next writer of the value (see above).
  }
}
