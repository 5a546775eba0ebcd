/** Builds instances from loaded rows: the one path by which stored data becomes an instance. */
import { isClusterMode } from "../connection/connection.js";
import { CorruptDataError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import { isKeyOfModel, modelTag } from "../keys/keys.js";
import { shardCountOf } from "../keys/shards.js";
import type { Row } from "../query/rows.js";
import { snapshotOf } from "./hash.js";
import { BLANK, type InstanceBase } from "./instance.js";
import { stateOf } from "./instance-state.js";
import type { ModelMeta } from "./meta.js";
import { relationshipFieldsOf } from "./relationship-accessors.js";
import { targetName } from "./targets.js";

/** A model class as hydration needs it: constructible blank. */
export type BlankConstructible = new (values: typeof BLANK) => InstanceBase;

/** Target key prefixes per model, per layout and field (`standalone:author` → `Author:`). */
const relatedPrefixes = new WeakMap<ModelMeta, Map<string, string>>();

/** A stored relationship must name an instance of its target model, or loading it would load another model. */
const checkStoredRelated = (meta: ModelMeta, key: string, field: string, value: unknown): void => {
  let prefixes = relatedPrefixes.get(meta);
  if (!prefixes) relatedPrefixes.set(meta, (prefixes = new Map()));
  // The target's key prefix, resolved on the first load (the target may be declared by name later).
  // Cached per layout: the same process may connect to a standalone server and then a cluster.
  const cacheKey = `${isClusterMode() ? "cluster" : "standalone"}:${field}`;
  let prefix = prefixes.get(cacheKey);
  if (prefix === undefined) {
    prefix = `${modelTag(targetName(meta.name, field, meta.fields.get(field) as FieldSpec))}:`;
    prefixes.set(cacheKey, prefix);
  }
  const keys = Array.isArray(value) ? value : value === null ? [] : [value];
  const target = prefix.startsWith("{") ? prefix.slice(1, -2) : prefix.slice(0, -1);
  const sharded = shardCountOf(target) > 1;
  const wrong = keys.find(
    (k) => typeof k !== "string" || (sharded ? !isKeyOfModel(target, k) : !k.startsWith(prefix)),
  );
  if (wrong !== undefined)
    throw new CorruptDataError(
      meta.name,
      key,
      field,
      `it holds ${JSON.stringify(wrong)}, which is not a key of ${prefix.slice(0, -1)} (the relationship's target)`,
    );
};

// Every loaded instance passes here: its cost is most of popoto's Node time on reads beyond the
// baseline's (docs/benchmarks.md, "Node: building instances…"), so it only checks relationship keys and assigns.
export function hydrateRow(meta: ModelMeta, Class: BlankConstructible, row: Row): InstanceBase {
  const instance = new Class(BLANK);
  const relationships = relationshipFieldsOf(meta);
  for (const field of meta.fieldNames) {
    const value = row.values.get(field) ?? null;
    if (relationships.includes(field)) checkStoredRelated(meta, row.key, field, value);
    instance[field] = value;
  }
  const state = stateOf(instance);
  state.pk = row.key;
  state.snapshot = row.hash ? snapshotOf(meta, row.hash) : undefined;
  state.stored = row.hash ? new Map(row.hash) : undefined;
  return instance;
}
