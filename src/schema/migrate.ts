/**
 * `migrate()`: makes Redis hold every index the model declares, for every stored instance, and
 * records it in the model's schema fingerprint (`$Schema:<Model>`, docs/storage.md).
 *
 * Build: walks the class set with SSCAN, one batch per step, and adds each instance's missing
 * index entries through the write script (checked against the stored state, so a write made
 * meanwhile is never overwritten with older values: the same repair as `rebuildIndexes()`, one
 * batch of src/maintenance/instance-pass.ts). After each step the SSCAN cursor is stored in the
 * fingerprint (`~migrate`), so a migration stopped (killed, or `maxSteps`) resumes where it was;
 * an SSCAN cursor stays valid across a pause, and every instance present from start to end is
 * visited. Instances saved meanwhile by the application (with these models) carry every index
 * already. Once the walk ends the built indexes are recorded, and queries on them are allowed.
 *
 * Drop: indexes the fingerprint lists that the model no longer declares are marked `dropping`,
 * then their entries are removed by `cleanIndexes()` (bounded SCAN batches, safe while the
 * application writes) and their ids deleted.
 *
 * A sharded model has one fingerprint per bucket (`$Schema:{Event#b.n}`): the buckets are walked
 * one after another, each as above (its own class set, its own `~migrate` cursor, recorded as
 * built when its walk ends), so a stopped run resumes in the bucket it stopped in and skips the
 * buckets already recorded. `maxSteps` bounds the steps of the whole run.
 */
import { storedLayoutOf } from "../shards/tool-layout.js";
import { wrapRedisError } from "../connection/connection.js";
import { getConnection } from "../connection/current.js";
import { allBuckets, classSet, schemaKey, unsharded } from "../keys/keys.js";
import { cleanIndexes } from "../maintenance/indexes.js";
import { instanceBatch } from "../maintenance/instance-pass.js";
import { LargeKeys } from "../maintenance/large-keys.js";
import { Tally } from "../maintenance/tally.js";
import { DEFAULT_BATCH_SIZE } from "../maintenance/types.js";
import type { ModelMeta } from "../model/meta.js";
import { BUILT, FINGERPRINT_VERSION_FIELD, indexIds } from "./fingerprint.js";
import { noteBuilt } from "./state.js";

/** The fingerprint field holding an unfinished build: `{ "ids": [...], "cursor": "…" }`. */
export const MIGRATE_FIELD = "~migrate";
/** The value of an index no longer declared whose entries are being removed. */
const DROPPING = "dropping";

/** Progress of `migrate()`: the phase, and instances (build) or keys (drop) done so far. */
export type MigrateProgress = (phase: "build" | "drop", done: number, total: number) => void;

export interface MigrateOptions {
  /** Instances per step (one SSCAN batch and its repair); default 1000. */
  readonly batchSize?: number | undefined;
  /**
   * Stop after this many build steps, leaving the migration recorded in Redis so the next
   * `migrate()` resumes it (for a bounded run per deploy, or to test resuming); default no limit.
   */
  readonly maxSteps?: number | undefined;
  readonly onProgress?: MigrateProgress | undefined;
}

/** What `migrate()` did to one model. */
export interface MigrateResult {
  readonly model: string;
  /** Index ids (`sorted:pages`) built by this run and recorded as built. */
  readonly built: readonly string[];
  /** Index ids no longer declared, whose entries were removed. */
  readonly dropped: readonly string[];
  /** Index entries added (build) and removed (drop). */
  readonly added: number;
  readonly removed: number;
  /** Build steps run (SSCAN batches). */
  readonly steps: number;
  /** This run continued an unfinished one. */
  readonly resumed: boolean;
  /** False when `maxSteps` stopped the build: run `migrate()` again to finish it. */
  readonly complete: boolean;
}

interface Unfinished {
  readonly ids: readonly string[];
  readonly cursor: string;
}

const parseUnfinished = (text: string | undefined): Unfinished | undefined => {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Unfinished;
    return Array.isArray(value.ids) && typeof value.cursor === "string" ? value : undefined;
  } catch {
    return undefined;
  }
};

const sameIds = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");

/** Builds the indexes the fingerprint lacks and drops those the model no longer declares. */
export async function migrate(meta: ModelMeta, options: MigrateOptions = {}): Promise<MigrateResult> {
  try {
    return await run(await storedLayoutOf(unsharded(meta), "migrate"), options);
  } catch (error) {
    throw wrapRedisError(error);
  }
}

/** What one fingerprint (the model's, or one bucket's) lacks and holds, as read at the start. */
interface BucketPlan {
  readonly view: ModelMeta;
  readonly key: string;
  readonly missing: readonly string[];
  readonly gone: readonly string[];
  readonly needsBuild: boolean;
  readonly resumeFrom: string | undefined;
}

const planBucket = (
  view: ModelMeta,
  declared: readonly string[],
  stored: Record<string, string>,
): BucketPlan => {
  const isIndexId = (field: string): boolean => !field.startsWith("~");
  // No fingerprint: nothing is known of the stored instances, so every index is built.
  const missing = declared.filter((id) => stored[id] !== BUILT);
  const unfinished = parseUnfinished(stored[MIGRATE_FIELD]);
  return {
    view,
    key: schemaKey(view),
    missing,
    gone: Object.keys(stored).filter((id) => isIndexId(id) && !declared.includes(id)),
    needsBuild: missing.length > 0 || Object.keys(stored).length === 0,
    resumeFrom: unfinished !== undefined && sameIds(unfinished.ids, missing) ? unfinished.cursor : undefined,
  };
};

async function run(meta: ModelMeta, options: MigrateOptions): Promise<MigrateResult> {
  const redis = getConnection();
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const declared = indexIds(meta);
  const views = allBuckets(meta);
  // Every bucket's fingerprint at once (one HGETALL each; one round trip per master).
  const stored = await Promise.all(views.map((view) => redis.hgetall(schemaKey(view))));
  const plans = views.map((view, b) => planBucket(view, declared, stored[b] ?? {}));
  const gone = [...new Set(plans.flatMap((plan) => plan.gone))];
  const built = declared.filter((id) => plans.some((plan) => plan.needsBuild && plan.missing.includes(id)));
  const resumed = plans.some((plan) => plan.resumeFrom !== undefined);
  const sizes = await Promise.all(
    plans.map((plan) => (plan.needsBuild ? redis.scard(classSet(plan.view)) : 0)),
  );
  const total = sizes.reduce((sum, size) => sum + size, 0);
  const tally = new Tally(0);
  const large = new LargeKeys(0);
  let steps = 0;
  let done = 0;
  for (const plan of plans) {
    if (plan.needsBuild) {
      let cursor = plan.resumeFrom ?? "0";
      do {
        if (options.maxSteps !== undefined && steps >= options.maxSteps) {
          // Stopped at this bucket: its position is recorded (at its start, too), so the next
          // run knows it resumes and skips the buckets recorded before it.
          if (cursor === "0")
            await redis.hset(plan.key, MIGRATE_FIELD, JSON.stringify({ ids: plan.missing, cursor }));
          return {
            model: meta.name,
            built: [],
            dropped: [],
            added: tally.added,
            removed: 0,
            steps,
            resumed,
            complete: false,
          };
        }
        const [next, batch] = await redis.sscan(classSet(plan.view), cursor, "COUNT", batchSize);
        await instanceBatch(
          plan.view,
          batch,
          tally,
          { batchSize, repair: { addMissing: true, corrupt: "report" } },
          large,
        );
        cursor = next;
        steps++;
        done += batch.length;
        options.onProgress?.("build", done, total);
        // The position to resume from (a finished walk leaves none: it is removed below).
        if (cursor !== "0")
          await redis.hset(plan.key, MIGRATE_FIELD, JSON.stringify({ ids: plan.missing, cursor }));
      } while (cursor !== "0");
    }
    // Recorded in one step: every declared index built, the unfinished build gone, dropped ones marked.
    const record = redis
      .multi()
      .hset(plan.key, FINGERPRINT_VERSION_FIELD, "1", ...declared.flatMap((id) => [id, BUILT]));
    if (plan.gone.length > 0) record.hset(plan.key, ...plan.gone.flatMap((id) => [id, DROPPING]));
    record.hdel(plan.key, MIGRATE_FIELD);
    await record.exec();
    noteBuilt(plan.view);
  }
  let removed = 0;
  if (gone.length > 0) {
    // One pass over every bucket's index structures (cleanIndexes walks a sharded model's buckets).
    const cleaned = await cleanIndexes(meta, {
      batchSize,
      maxListed: 0,
      onProgress: (_phase, done, total) => options.onProgress?.("drop", done, total),
    });
    removed = cleaned.removed;
    await Promise.all(
      plans.filter((plan) => plan.gone.length > 0).map((plan) => redis.hdel(plan.key, ...plan.gone)),
    );
  }
  return {
    model: meta.name,
    built,
    dropped: gone,
    added: tally.added,
    removed,
    steps,
    resumed,
    complete: true,
  };
}
