/**
 * Claimed writes in a bulk batch (`saveMany()`, `update()`, `bulkDelete()` of a sharded model with
 * a UniqueField or a unique composite index; src/write/claims.ts). Instead of one write at a time
 * (take, write, release: three dependent round trips each), the batch's claims are taken in one
 * pipelined round (`claim.lua` "take", by the claim's slot), the writes go in the batch's
 * pipelines by slot with their fence guards, and the releases follow in pipelined rounds.
 *
 * Only the uncontested case is pipelined: a claim held for another bucket (to be checked, fenced
 * or waited for) sends its write through `executeWrites` one by one after the batch's pipelined
 * writes landed, with the full handling of `takeClaim`; so does a write whose pipelined call was
 * refused (a fence found set, a stale copy, a unique value taken in the bucket). Whatever such a
 * write ends with, the claims this round took for it are released afterwards, which leaves any
 * whose value a live instance holds.
 */
import { randomBytes } from "node:crypto";
import { fenceSeconds } from "../connection/fence.js";
import { claimFence, claimKey, sameBucket } from "../keys/claims.js";
import type { ModelMeta } from "../model/meta.js";
import type { ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { claimsOf, fenceGuards, needsClaims, releasedBy, type HeldClaim } from "./claims.js";
import type { Guard, WriteCall, WriteIntent } from "./plan-write.js";
import { planWrites } from "./plan-write.js";
import { pipelinedBySlot, scriptBySlot } from "./pipelined.js";

/** What the claim round decided for each intent of a batch. */
export interface BatchClaims {
  /** Per intent: the guards its pipelined write carries ([] for a claimed model's write that adds no value); undefined when it is not pipelined (contested) or takes no claims. */
  readonly guards: (readonly Guard[] | undefined)[];
  /** Intents whose claims are contested: written one by one after the pipelined writes. */
  readonly contested: ReadonlySet<number>;
  /** Per intent, the values whose claims this round took for it (released unless its pipelined write committed). */
  readonly taken: ReadonlyMap<number, readonly Release[]>;
}

/** One value to release: its set in the bucket of `key`. */
export interface Release {
  readonly meta: ModelMeta;
  readonly set: string;
  readonly key: string;
}

const text = (reply: unknown): string =>
  Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply ?? "");

/**
 * Takes the claims of every claimed value the batch's writes add, in one pipelined round. A claim
 * taken, or held for the writer's own bucket (the bucket's write script decides within it), is
 * held; any other makes its intent contested.
 */
export async function takeBatchClaims(batch: readonly WriteIntent[]): Promise<BatchClaims> {
  const guards: (readonly Guard[] | undefined)[] = batch.map(() => undefined);
  const contested = new Set<number>();
  const wanted: { i: number; label: string; set: string; key: string; token: string }[] = [];
  batch.forEach((intent, i) => {
    if (!needsClaims(intent.meta)) return;
    let call: WriteCall;
    try {
      call = planWrites([intent]);
    } catch {
      contested.add(i); // written alone, where its error is reported as for any write
      return;
    }
    for (const [label, set] of claimsOf(intent.meta, call.contents[0]))
      wanted.push({ i, label, set, key: call.newKeys[0] as string, token: randomBytes(8).toString("hex") });
  });
  const held = new Map<number, HeldClaim[]>();
  const taken = new Map<number, Release[]>();
  if (wanted.length > 0) {
    const now = String(Date.now());
    const replies = await scriptBySlot(scripts.claim, wanted, (w) => ({
      keys: [claimKey((batch[w.i] as WriteIntent).meta.name, w.set)],
      args: ["take", w.token, w.key, now],
    }));
    wanted.forEach((w, j) => {
      const [error, reply] = replies[j] ?? [null, null];
      const [status, theirs = "", holder = ""] = error ? [] : (reply as ScriptReply[]).map(text);
      const claim = claimKey((batch[w.i] as WriteIntent).meta.name, w.set);
      const mine = (token: string, isTaken: boolean): HeldClaim => ({
        claim,
        token,
        set: w.set,
        label: w.label,
        fence: claimFence(w.key, token),
        taken: isTaken,
      });
      let got: HeldClaim | undefined;
      if (status === "TAKEN") got = mine(w.token, true);
      else if (status === "HELD" && sameBucket(holder, w.key)) got = mine(theirs, false);
      if (got === undefined) contested.add(w.i);
      else {
        held.set(w.i, [...(held.get(w.i) ?? []), got]);
        const meta = (batch[w.i] as WriteIntent).meta;
        if (got.taken) taken.set(w.i, [...(taken.get(w.i) ?? []), { meta, set: w.set, key: w.key }]);
      }
    });
  }
  batch.forEach((intent, i) => {
    if (needsClaims(intent.meta) && !contested.has(i)) guards[i] = fenceGuards(held.get(i) ?? []);
  });
  return { guards, contested, taken };
}

/**
 * What to release once the batch is settled: for a claimed write Redis committed from its
 * pipeline, the values its instance no longer holds; for every other claimed write, the claims
 * the round took for it (whatever its one-by-one run ended with: a value it holds is left).
 */
export function batchReleases(
  batch: readonly WriteIntent[],
  claims: BatchClaims,
  committed: ReadonlyMap<number, WriteCall>,
): Release[] {
  const releases: Release[] = [];
  batch.forEach((intent, i) => {
    if (!needsClaims(intent.meta)) return;
    const call = committed.get(i);
    if (call)
      for (const [, set] of releasedBy(intent.meta, intent.oldKey, intent.expected, call.contents[0]))
        releases.push({ meta: intent.meta, set, key: intent.oldKey });
    else releases.push(...(claims.taken.get(i) ?? []));
  });
  return releases;
}

/**
 * `releaseClaim` for many values, in three pipelined rounds: read each claim; fence, in its
 * bucket, each one naming that bucket (nothing is fenced where a live instance holds the value);
 * drop each fenced one on its token. Best effort, as one release: a claim left behind names a
 * bucket that does not hold its value, and the next writer of the value takes it over.
 */
export async function releaseMany(releases: readonly Release[]): Promise<void> {
  if (releases.length === 0) return;
  try {
    const claims = releases.map((r) => claimKey(r.meta.name, r.set));
    const stored = await pipelinedBySlot(
      releases.map((_, i) => i),
      (i) => claims[i] as string,
      (pipeline, i) => pipeline.hmget(claims[i] as string, "token", "holder"),
    );
    const toFence = releases.flatMap((r, i) => {
      const [error, reply] = stored[i] ?? [null, null];
      const [token, holder] = error ? [] : (reply as (string | null)[]);
      return token && holder && sameBucket(holder, r.key) ? [{ r, claim: claims[i] as string, token }] : [];
    });
    const fenced = await scriptBySlot(scripts.fence, toFence, ({ r, token }) => ({
      keys: [r.set, claimFence(r.key, token)],
      args: ["fence", String(fenceSeconds())],
    }));
    const toDrop = toFence.filter((_, j) => {
      const [error, reply] = fenced[j] ?? [null, null];
      return !error && text((reply as ScriptReply[])[0]) === "FENCED";
    });
    await scriptBySlot(scripts.claim, toDrop, ({ claim, token }) => ({
      keys: [claim],
      args: ["drop", token],
    }));
  } catch {
    // Left behind, a claim is taken over by the next writer of its value (src/write/claims.ts).
  }
}
