/**
 * The `shards` and `shardBy` model options (docs/storage.md §7a): checked when the model is
 * defined, so a sharded model that popoto could not keep correct is refused before any write.
 */
import { ModelDefinitionError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import { MAX_SHARDS, registerShards } from "../keys/shards.js";

/** The checked `shards` / `shardBy` of a model. */
export interface ShardOptions {
  readonly shards: number;
  readonly shardBy: string | undefined;
}

export function defineShards(
  name: string,
  specs: ReadonlyMap<string, FieldSpec>,
  keyFields: readonly string[],
  options: { readonly shards?: unknown; readonly shardBy?: unknown },
): ShardOptions {
  const fail = (message: string, field?: string): never => {
    throw new ModelDefinitionError(name, message, field);
  };
  const shards = options.shards ?? 1;
  if (typeof shards !== "number" || !Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS)
    fail(
      `shards must be a whole number from 1 to ${MAX_SHARDS}, got ${String(shards)}; 24 splits evenly over 3, 6, 12 and 24 masters.`,
    );
  const count = shards as number;
  const shardBy = options.shardBy;
  if (shardBy !== undefined) {
    if (count === 1)
      fail(`shardBy is set but shards is ${count}; give shards (e.g. shards: 24) or remove shardBy.`);
    const spec = typeof shardBy === "string" ? specs.get(shardBy) : undefined;
    if (spec === undefined)
      fail(
        `shardBy names ${JSON.stringify(shardBy)}, which is not a field of ${name}; name a key field or a relationship.`,
      );
    const ok =
      (spec as FieldSpec).kind === "relationship"
        ? !(spec as FieldSpec).many
        : keyFields.includes(shardBy as string);
    if (!ok)
      fail(
        `shardBy names "${String(shardBy)}", a ${(spec as FieldSpec).factory}${(spec as FieldSpec).many ? " with many targets" : ""}; ` +
          `name a key field or a relationship to one target, whose value picks the bucket.`,
        shardBy as string,
      );
  }
  if (count > 1) {
    for (const [field, spec] of specs) {
      if (spec.kind === "uniqueKey" && (keyFields.length > 1 || shardBy !== undefined))
        fail(
          `"${field}" is a UniqueKeyField beside other key fields (or a shardBy), so two instances holding one value ` +
            `could sit in different buckets; on a sharded model make it the only key field, or a UniqueField.`,
          field,
        );
      // onDelete "setNull" of the shardBy relationship would move each referrer to another bucket
      // (a null shardBy hashes the instance's own key), which one script cannot do.
      if (spec.kind === "relationship" && field === shardBy && spec.onDelete === "setNull")
        fail(
          `relationship "${field}" is the shardBy field and has onDelete "setNull": clearing it would move each ` +
            `referrer to another bucket; use onDelete "cascade" or "protect", or shard by another field.`,
          field,
        );
    }
  }
  registerShards(name, count);
  return { shards: count, shardBy: shardBy as string | undefined };
}
