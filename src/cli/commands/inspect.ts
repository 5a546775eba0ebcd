/**
 * `popoto inspect`: how big each model is in Redis: instances, index keys and entries per
 * structure kind, and memory (MEMORY USAGE; instance memory extrapolated from a sample).
 */
import type { RedisClient } from "../../connection/connection.js";
import { allBuckets, classSet, indexKeyPatterns, indexValuesPattern } from "../../keys/keys.js";
import type { ModelMeta } from "../../model/meta.js";
import { storedLayoutOf } from "../../shards/tool-layout.js";
import type { CliModel } from "../load-models.js";
import { scanKeys } from "../scan.js";
import { formatBytes, formatTable } from "../table.js";
import type { CommandContext, CommandResult } from "./context.js";

/** Instance hashes whose MEMORY USAGE is read; the total is extrapolated from them. */
export const MEMORY_SAMPLE = 200;

/** One kind of index structure of a model (`$KeyF`, `$SortF`, …). */
export interface StructureStats {
  readonly kind: string;
  readonly type: "set" | "zset" | "hash";
  readonly keys: number;
  /** Members (sets, sorted sets) or fields (hashes), summed over the keys. */
  readonly entries: number;
  /** MEMORY USAGE summed over the keys (Redis samples the elements of large structures). */
  readonly memoryBytes: number;
}

/** What `inspect` reports of one model. */
export interface ModelStats {
  readonly model: string;
  /** SCARD of the class set. */
  readonly instances: number;
  readonly instanceMemory: {
    /** Hashes sampled (SRANDMEMBER of the class set) that exist. */
    readonly sampled: number;
    readonly sampleBytes: number;
    /** The sample's mean times the instance count: an estimate. */
    readonly estimatedBytes: number;
  };
  readonly indexKeys: number;
  readonly indexEntries: number;
  readonly indexMemoryBytes: number;
  readonly structures: readonly StructureStats[];
}

type PipelineResult = [Error | null, unknown][] | null;
const numberAt = (results: PipelineResult, i: number): number | undefined => {
  const [error, value] = results?.[i] ?? [null, null];
  return error === null && typeof value === "number" ? value : undefined;
};

/** The structures to count: every index pattern, plus the ttl shadows (`$IndexValues`) of ttl models. */
const structurePatterns = (meta: ModelMeta): { pattern: string; type: StructureStats["type"] }[] => [
  ...indexKeyPatterns(meta),
  ...(!meta.expiring ? [] : [{ pattern: indexValuesPattern(meta), type: "hash" as const }]),
];

async function structureStats(
  redis: RedisClient,
  pattern: string,
  type: StructureStats["type"],
): Promise<StructureStats> {
  let keys = 0;
  let entries = 0;
  let memoryBytes = 0;
  for await (const batch of scanKeys(redis, pattern)) {
    const pipeline = redis.pipeline();
    for (const key of batch) {
      if (type === "set") pipeline.scard(key);
      else if (type === "zset") pipeline.zcard(key);
      else pipeline.hlen(key);
      pipeline.memory("USAGE", key);
    }
    const results = await pipeline.exec();
    batch.forEach((_, i) => {
      const size = numberAt(results, 2 * i);
      if (size === undefined) return; // gone since the SCAN, or another type (WRONGTYPE): not ours
      keys++;
      entries += size;
      memoryBytes += numberAt(results, 2 * i + 1) ?? 0;
    });
  }
  return { kind: pattern.slice(0, pattern.indexOf(":")), type, keys, entries, memoryBytes };
}

export async function modelStats(redis: RedisClient, model: CliModel): Promise<ModelStats> {
  const meta = await storedLayoutOf(model.meta, "inspect");
  // A sharded model has a class set per bucket, each in its own slot: counted and sampled apart.
  const buckets = allBuckets(meta);
  const perBucket = Math.max(1, Math.ceil(MEMORY_SAMPLE / buckets.length));
  let instances = 0;
  let sampled = 0;
  let sampleBytes = 0;
  for (const view of buckets) {
    instances += await redis.scard(classSet(view));
    const sample = await redis.srandmember(classSet(view), perBucket);
    if (sample.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of sample) pipeline.memory("USAGE", key);
    const results = await pipeline.exec();
    sample.forEach((_, i) => {
      const bytes = numberAt(results, i);
      if (bytes === undefined) return; // a class-set member without a hash (stale, or expired)
      sampled++;
      sampleBytes += bytes;
    });
  }
  const structures: StructureStats[] = [];
  for (const { pattern, type } of structurePatterns(meta))
    structures.push(await structureStats(redis, pattern, type));
  const sum = (pick: (s: StructureStats) => number): number => structures.reduce((n, s) => n + pick(s), 0);
  return {
    model: model.modelName,
    instances,
    instanceMemory: {
      sampled,
      sampleBytes,
      estimatedBytes: sampled === 0 ? 0 : Math.round((sampleBytes / sampled) * instances),
    },
    indexKeys: sum((s) => s.keys),
    indexEntries: sum((s) => s.entries),
    indexMemoryBytes: sum((s) => s.memoryBytes),
    structures,
  };
}

/** Counts and measures each model (read-only: SCAN, SCARD/ZCARD/HLEN, SRANDMEMBER, MEMORY USAGE). */
export async function inspect({ models, progress, redis }: CommandContext): Promise<CommandResult> {
  const stats: ModelStats[] = [];
  for (const model of models) {
    progress.model(model.modelName);
    stats.push(await modelStats(redis, model));
  }
  progress.clear();
  const overview = formatTable(
    ["model", "instances", "hash memory (est.)", "index keys", "index entries", "index memory"],
    stats.map((s) => [
      s.model,
      s.instances,
      `~${formatBytes(s.instanceMemory.estimatedBytes)}`,
      s.indexKeys,
      s.indexEntries,
      formatBytes(s.indexMemoryBytes),
    ]),
    ["left", "right", "right", "right", "right", "right"],
  );
  const perKind = formatTable(
    ["model", "structure", "type", "keys", "entries", "memory"],
    stats.flatMap((s) =>
      s.structures
        .filter((k) => k.keys > 0)
        .map((k) => [s.model, k.kind, k.type, k.keys, k.entries, formatBytes(k.memoryBytes)]),
    ),
    ["left", "left", "left", "right", "right", "right"],
  );
  const note =
    `Hash memory is estimated from up to ${MEMORY_SAMPLE} sampled instances per model ` +
    `(MEMORY USAGE), times the instance count.`;
  return {
    exitCode: 0,
    text: [overview, "", perKind, "", note].join("\n"),
    json: { command: "inspect", models: stats },
  };
}
