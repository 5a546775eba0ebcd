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
 */
import { wrapRedisError } from "../connection/connection.js";
import { getConnection } from "../connection/current.js";
import { QueryError } from "../errors.js";
import { classSet, schemaKey } from "../keys/keys.js";
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
  if (meta.shards > 1)
    throw new QueryError(
      meta.name,
      "migrate() does not support sharded models yet (they keep no schema fingerprint); " +
        "use rebuildIndexes() to add the entries of a new index.",
    );
  try {
    return await run(meta, options);
  } catch (error) {
    throw wrapRedisError(error);
  }
}

async function run(meta: ModelMeta, options: MigrateOptions): Promise<MigrateResult> {
  const redis = getConnection();
  const key = schemaKey(meta);
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
  const stored = await redis.hgetall(key);
  const declared = indexIds(meta);
  const isIndexId = (field: string): boolean => !field.startsWith("~");
  // No fingerprint: nothing is known of the stored instances, so every index is built.
  const missing = declared.filter((id) => stored[id] !== BUILT);
  const gone = Object.keys(stored).filter((id) => isIndexId(id) && !declared.includes(id));
  const unfinished = parseUnfinished(stored[MIGRATE_FIELD]);
  const resumed = unfinished !== undefined && sameIds(unfinished.ids, missing);
  let cursor = resumed ? unfinished.cursor : "0";
  const tally = new Tally(0);
  const large = new LargeKeys(0);
  let steps = 0;
  const needsBuild = missing.length > 0 || Object.keys(stored).length === 0;
  if (needsBuild) {
    const total = await redis.scard(classSet(meta));
    let done = 0;
    do {
      if (options.maxSteps !== undefined && steps >= options.maxSteps)
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
      const [next, batch] = await redis.sscan(classSet(meta), cursor, "COUNT", batchSize);
      await instanceBatch(
        meta,
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
      if (cursor !== "0") await redis.hset(key, MIGRATE_FIELD, JSON.stringify({ ids: missing, cursor }));
    } while (cursor !== "0");
  }
  // Recorded in one step: every declared index built, the unfinished build gone, dropped ones marked.
  const record = redis
    .multi()
    .hset(key, FINGERPRINT_VERSION_FIELD, "1", ...declared.flatMap((id) => [id, BUILT]));
  if (gone.length > 0) record.hset(key, ...gone.flatMap((id) => [id, DROPPING]));
  record.hdel(key, MIGRATE_FIELD);
  await record.exec();
  noteBuilt(meta);
  let removed = 0;
  if (gone.length > 0) {
    const cleaned = await cleanIndexes(meta, {
      batchSize,
      maxListed: 0,
      onProgress: (_phase, done, total) => options.onProgress?.("drop", done, total),
    });
    removed = cleaned.removed;
    await redis.hdel(key, ...gone);
  }
  return {
    model: meta.name,
    built: needsBuild ? declared.filter((id) => missing.includes(id)) : [],
    dropped: gone,
    added: tally.added,
    removed,
    steps,
    resumed,
    complete: true,
  };
}
