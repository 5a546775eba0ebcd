/**
 * The online reshard of a sharded model, K buckets → N (docs/storage.md §7a "Resharding"):
 * `Model.reshard({ shards })` and `npx popoto reshard`. The decisions are data
 * (src/shards/reshard-plan.ts); this file runs them, one old bucket after another:
 * retire the bucket for layout K (`$Retired`), copy each instance to its layout-N key, re-point
 * its unique claims, delete it from K, then mark the bucket done. Killed anywhere, a run with the
 * same N resumes: the bucket half moved is scanned again, and a copy already made is overwritten
 * with the same hash.
 */
import { randomBytes } from "node:crypto";
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { ReshardBusyError, ReshardRefusedError } from "../errors.js";
import { claimKey } from "../keys/claims.js";
import {
  allBuckets,
  classSet,
  declaredModel,
  inBucket,
  layoutRecordKey,
  layoutView,
  reshardLockKey,
  retiredSet,
} from "../keys/keys.js";
import { MAX_SHARDS } from "../keys/shards.js";
import { decodeHash, snapshotOf } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { computeKey } from "../model/values.js";
import { incomingRelationships } from "../model/targets.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { releasedBy } from "../write/claims.js";
import { executeWrites, purgeKey, saveContent } from "../write/execute-write.js";
import { refreshLayout } from "./layout.js";
import {
  advance,
  formatDone,
  planStart,
  remainingBuckets,
  startProgress,
  type ReshardProgress,
} from "./reshard-plan.js";

export type { ReshardProgress } from "./reshard-plan.js";

/** How long the mover's lock lives without a renewal (each step renews it). */
export const LOCK_MS = 30_000;

export interface ReshardOptions {
  /** The new bucket count N (2 to 1024, not the current one). */
  readonly shards: number;
  /** Keys read per SSCAN batch (default 500). */
  readonly batchSize?: number | undefined;
  /** Called after each batch. */
  readonly onProgress?: ((progress: ReshardProgress) => void) | undefined;
  /** Stops the run between batches (the move stays resumable: run it again with the same N). */
  readonly signal?: AbortSignal | undefined;
}

export interface ReshardResult {
  readonly model: string;
  readonly from: number;
  readonly to: number;
  /** True when this run finished the move (false: stopped by `signal`, run again to resume). */
  readonly complete: boolean;
  /** True when this run continued a move an earlier run started. */
  readonly resumed: boolean;
  readonly moved: number;
  readonly scanned: number;
  /** Instances whose hash had expired: their index leftovers were removed instead. */
  readonly purged: number;
}

const text = (reply: ScriptReply | undefined): string =>
  Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply ?? "");

/** Refusals that hold before anything moves (design: relationships, change feed, counts). */
export function refusal(meta: ModelMeta, shards: number): ReshardRefusedError | undefined {
  const name = meta.name;
  if (meta.shards <= 1)
    return new ReshardRefusedError(
      name,
      `${name} is not sharded: reshard moves a sharded model between bucket counts. To shard it, ` +
        `export it (npx popoto export), declare shards, and import it again.`,
    );
  if (!Number.isInteger(shards) || shards < 2 || shards > MAX_SHARDS)
    return new ReshardRefusedError(
      name,
      `${name} cannot be resharded to ${String(shards)} buckets: give a whole number from 2 to ${MAX_SHARDS}.`,
    );
  if (meta.changes !== undefined)
    return new ReshardRefusedError(
      name,
      `${name} has a change feed (changes): its per-bucket streams would split across the two layouts. ` +
        `Remove the changes option (or export/import the model into the new count) to reshard it.`,
    );
  for (const incoming of incomingRelationships(name))
    if (incoming.model.meta.name !== name)
      return new ReshardRefusedError(
        name,
        `${incoming.model.meta.name}.${incoming.field} is a relationship to ${name}: its hashes and reverse sets ` +
          `store ${name}'s bucket-tagged keys, which a reshard would change. Remove the relationship, or ` +
          `export ${name} and ${incoming.model.meta.name} and import them with the new shards.`,
        { model: incoming.model.meta.name, field: incoming.field },
      );
  return undefined;
}

/** Moves a sharded model's instances to `shards` buckets online; resumes a move to the same count. */
export async function reshard(model: ModelMeta, options: ReshardOptions): Promise<ReshardResult> {
  const meta = declaredModel(model);
  const refused = refusal(meta, options.shards);
  if (refused) throw refused;
  const redis = getConnection();
  const recordKey = layoutRecordKey(meta);
  const lock = new Lock(meta, reshardLockKey(meta));
  await lock.take();
  try {
    const layout = await refreshLayout(meta);
    const start = planStart(layout, options.shards);
    if (start.kind === "other-move")
      throw new ReshardRefusedError(
        meta.name,
        `A reshard of ${meta.name} from ${start.from} to ${start.to} buckets is in progress (${recordKey}): ` +
          `run it again with --shards ${start.to} to finish it, then reshard to ${options.shards}.`,
      );
    if (start.kind === "nothing")
      return {
        model: meta.name,
        from: start.count,
        to: start.count,
        complete: true,
        resumed: false,
        moved: 0,
        scanned: 0,
        purged: 0,
      };
    const { from: fromCount, to: toCount } = start;
    const resumed = start.kind === "resume";
    const from = layoutView(meta, start.from);
    const to = layoutView(meta, start.to);
    const done = new Set(start.kind === "resume" ? layout.done : []);
    await call(() =>
      start.kind === "start"
        ? redis.hset(recordKey, "to", String(start.to), "done", "", "epoch", String(start.epoch))
        : Promise.resolve(0),
    );
    // A tag of layout N may have been retired for N by an earlier era (N → K → N).
    await Promise.all(
      allBuckets(to).map((view) => call(() => redis.srem(retiredSet(view), String(start.to)))),
    );
    const left = remainingBuckets(start.from, done);
    const sizes = await Promise.all(left.map((b) => call(() => redis.scard(classSet(inBucket(from, b))))));
    let progress = startProgress(
      left[0] ?? 0,
      start.from,
      sizes.reduce((a, b) => a + b, 0),
    );
    let purged = 0;
    for (const bucket of left) {
      if (options.signal?.aborted) return result(false);
      await lock.renew();
      await call(() => redis.hset(recordKey, "moving", String(bucket)));
      // From here no write of layout K lands in this bucket: one planned before fails its guard.
      await call(() => redis.sadd(retiredSet(inBucket(from, bucket)), String(start.from)));
      for (;;) {
        const pass = await moveBucketPass(from, to, bucket, options, lock, (batch) => {
          progress = advance(progress, bucket, batch);
          options.onProgress?.(progress);
        });
        purged += pass.purged;
        if (pass.aborted) return result(false);
        // Writers to a moving bucket wait, so a pass that moved nothing leaves only stayers.
        if (pass.moved === 0 && pass.purged === 0) break;
      }
      done.add(bucket);
      await call(() => redis.hset(recordKey, "done", formatDone(done)));
      await call(() => redis.hdel(recordKey, "moving"));
    }
    await lock.renew();
    await call(() => redis.hset(recordKey, "count", String(start.to)));
    await call(() => redis.hdel(recordKey, "to", "done", "moving"));
    await refreshLayout(meta);
    return result(true);

    function result(complete: boolean): ReshardResult {
      return {
        model: meta.name,
        from: fromCount,
        to: toCount,
        complete,
        resumed,
        moved: progress.moved,
        scanned: progress.scanned,
        purged,
      };
    }
  } finally {
    await lock.release();
  }
}

const call = async <T>(command: () => Promise<T>): Promise<T> => {
  try {
    return await command();
  } catch (error) {
    throw wrapRedisError(error);
  }
};

/** One SSCAN pass over an old bucket's class set, moving every instance that does not stay. */
async function moveBucketPass(
  from: ModelMeta,
  to: ModelMeta,
  bucket: number,
  options: ReshardOptions,
  lock: Lock,
  report: (batch: { scanned: number; moved: number }) => void,
): Promise<{ moved: number; purged: number; aborted: boolean }> {
  const redis = getConnection();
  const set = classSet(inBucket(from, bucket));
  const count = options.batchSize ?? 500;
  let cursor = "0";
  let moved = 0;
  let purged = 0;
  do {
    if (options.signal?.aborted) return { moved, purged, aborted: true };
    await lock.renew();
    const [next, keys] = await call(() => redis.sscan(set, cursor, "COUNT", count));
    cursor = next;
    const pipeline = redis.pipeline();
    for (const key of keys) {
      pipeline.hgetallBuffer(key);
      if (from.expiring) pipeline.pttl(key);
    }
    const replies = keys.length > 0 ? ((await call(() => pipeline.exec())) ?? []) : [];
    const step = from.expiring ? 2 : 1;
    // The instances of a batch are independent (each its own keys): their writes are sent
    // together, so a batch costs a few round trips rather than a few per instance.
    const outcomes = await Promise.all(
      keys.map(async (key, i): Promise<"moved" | "purged" | "stayed"> => {
        const [error, flat] = replies[i * step] ?? [null, null];
        if (error) throw wrapRedisError(error, [key]);
        const ttlMs = from.expiring ? Number(replies[i * step + 1]?.[1] ?? -1) : -1;
        const stored = new Map(Object.entries((flat ?? {}) as Record<string, Buffer>));
        // Expired (or deleted outside popoto): remove what it left in the indexes.
        if (stored.size === 0) return (await purgeKey(from, key)) ? "purged" : "stayed";
        return (await moveInstance(from, to, key, stored, ttlMs)) ? "moved" : "stayed";
      }),
    );
    const batchMoved = outcomes.filter((o) => o === "moved").length;
    purged += outcomes.filter((o) => o === "purged").length;
    moved += batchMoved;
    report({ scanned: keys.length, moved: batchMoved });
  } while (cursor !== "0");
  return { moved, purged, aborted: false };
}

/**
 * Copies one instance to its layout-N key, re-points its unique claims to it, and deletes it from
 * layout K. Returns false when it stays (its key is the same in both layouts).
 */
async function moveInstance(
  from: ModelMeta,
  to: ModelMeta,
  oldKey: string,
  stored: Map<string, Buffer>,
  ttlMs: number,
): Promise<boolean> {
  const values = decodeHash(from, oldKey, stored);
  const newKey = computeKey(to, values);
  if (newKey === oldKey) return false;
  const content = saveContent(to, values);
  // Copy: whatever layout N holds at the key is replaced (a resumed run finds its own copy).
  await executeWrites(
    [
      {
        meta: to,
        kind: "save",
        oldKey: newKey,
        expected: null,
        build: () => content,
        silent: true,
        ...(from.expiring ? { ttl: ttlMs > 0 ? Math.max(1, Math.ceil(ttlMs / 1000)) : -1 } : {}),
      },
    ],
    [],
    undefined,
    { mover: true },
  );
  const expected = snapshotOf(from, stored);
  // The claims naming the old key now name the new one (same token: the new bucket fenced nothing).
  for (const [, set] of releasedBy(from, oldKey, expected, undefined)) {
    const claim = claimKey(from.name, set);
    const token = await call(() => getConnection().hget(claim, "token"));
    if (token === null) continue;
    await runScript(getConnection(), scripts.claim, [claim], ["rehold", token, oldKey, newKey]);
  }
  await executeWrites([{ meta: from, kind: "delete", oldKey, expected, silent: true }], [], undefined, {
    mover: true,
  });
  return true;
}

/** The mover's lock: taken once, renewed each step, released at the end. */
class Lock {
  private readonly token = randomBytes(8).toString("hex");
  constructor(
    private readonly meta: ModelMeta,
    private readonly key: string,
  ) {}

  private async run(mode: string): Promise<boolean> {
    const reply = await runScript(
      getConnection(),
      scripts.reshardLock,
      [this.key],
      [mode, this.token, String(LOCK_MS)],
    );
    return text(reply) === "1";
  }

  async take(): Promise<void> {
    if (!(await this.run("take"))) throw new ReshardBusyError(this.meta.name, this.key);
  }

  /** Renews the lock; a lock lost (expired and taken by another mover) stops this one. */
  async renew(): Promise<void> {
    if (!(await this.run("renew"))) throw new ReshardBusyError(this.meta.name, this.key);
  }

  async release(): Promise<void> {
    try {
      await this.run("release");
    } catch {
      // It expires within LOCK_MS anyway.
    }
  }
}
