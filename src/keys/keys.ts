/**
 * The only module that spells Redis key names. Layout: docs/storage.md (Popoto's, plus the
 * `$LexF`, `$LexRevF` and `$IndexValues` structures popoto adds).
 */
import { isClusterMode } from "../connection/connection.js";
import type { ModelMeta } from "../model/meta.js";
import type { KeyType } from "../fields/field-type.js";
import { escapePart, joinKey } from "./escape.js";
import { legacyKeyParts, NONE_PART, toKeyPart } from "./parts.js";
import {
  anyBucketTag,
  bucketOfKey,
  bucketOfText,
  bucketTag,
  layoutCountsOf,
  shardCountOf,
} from "./shards.js";

/**
 * The model's name as it appears in keys: `Book`, or `{Book}` in cluster mode so a model keeps one
 * slot. A sharded model's keys carry their bucket's tag instead (`{Event#3.17}`, on a standalone
 * server too: docs/storage.md §7a), so they are spelled from a bucket's view of the model
 * (`inBucket`, `forKey`); a model known only by name is never sharded here.
 */
export const modelTag = (model: ModelMeta | string): string => {
  if (typeof model !== "string" && model.shards > 1) {
    if (model.bucket === undefined)
      throw new Error(`popoto internal: a key of sharded model ${model.name} was spelled without its bucket`);
    return model.bucket < 0 ? anyBucketTag(model.name) : bucketTag(model.name, model.bucket, model.shards);
  }
  const name = typeof model === "string" ? model : model.name;
  return isClusterMode() ? `{${name}}` : name;
};

const views = new WeakMap<ModelMeta, Map<number, ModelMeta>>();

/**
 * Bucket `bucket`'s view of a sharded model: the same model whose key builders spell that bucket's
 * keys (`-1`: the `{Event#?}` stand-in of a plan built once and copied per bucket by
 * `toBucket`). Views are cached, so a bucket's view is always the same object.
 */
export const inBucket = (meta: ModelMeta, bucket: number): ModelMeta => {
  const base = bases.get(meta) ?? meta;
  let cache = views.get(base);
  if (!cache) views.set(base, (cache = new Map()));
  let view = cache.get(bucket);
  if (!view) {
    view = Object.freeze({ ...base, bucket });
    cache.set(bucket, view);
    bases.set(view, base);
  }
  return view;
};

/** The model of each bucket view. */
const bases = new WeakMap<ModelMeta, ModelMeta>();

/** The model a bucket view was made from (the model itself otherwise): a layout view stays one. */
export const unsharded = (meta: ModelMeta): ModelMeta => bases.get(meta) ?? meta;

/** The declared model of each layout view. */
const declaredModels = new WeakMap<ModelMeta, ModelMeta>();
const layoutViews = new WeakMap<ModelMeta, Map<number, ModelMeta>>();

/** The model as `Model()` declared it, from any view of it (a bucket's, a layout's, or both). */
export const declaredModel = (meta: ModelMeta): ModelMeta => {
  const base = unsharded(meta);
  return declaredModels.get(base) ?? base;
};

/**
 * A copy of a layout view that is a distinct object (a read phase's view, src/shards/read-layout.ts),
 * known to `declaredModel` as a view of the same model. Key spellers treat it as the layout view.
 */
export const variantOf = (layout: ModelMeta): ModelMeta => {
  const view = Object.freeze({ ...unsharded(layout) });
  declaredModels.set(view, declaredModel(layout));
  return view;
};

/**
 * A sharded model laid out in `count` buckets (a reshard's other layout, or the stored layout when
 * it differs from the declared `shards`: docs/storage.md §7a "Resharding"). Every key speller used
 * with it, or with `inBucket()` of it, spells that layout's tags. The declared count gives the
 * declared model itself, so a model never resharded keeps one object. Cached.
 */
export const layoutView = (meta: ModelMeta, count: number): ModelMeta => {
  const declared = declaredModel(meta);
  if (count === declared.shards) return declared;
  let cache = layoutViews.get(declared);
  if (!cache) layoutViews.set(declared, (cache = new Map()));
  let view = cache.get(count);
  if (!view) {
    view = Object.freeze({ ...declared, shards: count });
    cache.set(count, view);
    declaredModels.set(view, declared);
  }
  return view;
};

/**
 * The layout view a sharded model's instance key is spelled in: the declared model when its tag
 * is one of the declared count's, else the view of the first known layout (`layoutCountsOf`)
 * whose tag it carries (a key read from Redis after a reshard), else the model as given.
 */
export const viewOfKey = (meta: ModelMeta, key: string): ModelMeta => {
  if (meta.shards <= 1 || bucketOfKey(meta.name, meta.shards, key) !== undefined) return meta;
  const count = layoutCountsOf(meta.name).find((c) => bucketOfKey(meta.name, c, key) !== undefined);
  return count === undefined ? meta : layoutView(meta, count);
};

/** Every bucket's view of a sharded model, bucket 0 first; the model itself when it is not sharded. */
export const allBuckets = (meta: ModelMeta): ModelMeta[] =>
  meta.shards > 1 ? Array.from({ length: meta.shards }, (_, b) => inBucket(meta, b)) : [meta];

/**
 * The view of the bucket an instance key names by its tag (the model itself when not sharded); a
 * key of another layout of the model (read after a reshard) gives that layout's bucket view.
 */
export const forKey = (meta: ModelMeta, key: string): ModelMeta => {
  if (meta.shards <= 1) return meta;
  const view = viewOfKey(meta, key);
  const bucket = bucketOfKey(view.name, view.shards, key);
  if (bucket === undefined)
    throw new Error(`popoto internal: ${JSON.stringify(key)} is not a key of sharded model ${meta.name}`);
  return inBucket(view, bucket);
};

/** The bucket a sharded model's instance key names, or undefined when it is not one of its keys. */
export const bucketOfInstanceKey = (meta: ModelMeta, key: string): number | undefined =>
  bucketOfKey(meta.name, meta.shards, key);

/**
 * A key of the `{Event#?}` stand-in bucket spelled for bucket `bucket` (only the model's own tag
 * is replaced: a related key inside a reverse set's name keeps its own).
 */
export const toBucket = (meta: ModelMeta, key: string, bucket: number): string => {
  const from = anyBucketTag(meta.name);
  const at = key.indexOf(from);
  return at === -1
    ? key
    : key.slice(0, at) + bucketTag(meta.name, bucket, meta.shards) + key.slice(at + from.length);
};

/**
 * The text whose hash picks a bucket: an instance key without its model tag (`Tolkien` of
 * `Author:Tolkien`, `{Author}:Tolkien` or `{Author#3.5}:Tolkien`), so the bucket is the same on
 * both topologies and for a sharded or unsharded parent.
 */
export const keyBody = (key: string): string => key.slice(key.indexOf(":") + 1);

/** The bucket of a sharded model's instance from its escaped key parts and, for `shardBy`, the field's part or related key. */
export const bucketFor = (meta: ModelMeta, escapedParts: readonly string[], shardValue?: string): number => {
  if (meta.shardBy === undefined || shardValue === undefined)
    return bucketOfText(joinKey(escapedParts), meta.shards);
  return bucketOfText(shardValue, meta.shards);
};

/** True when `key` is spelled as an instance key of the model named `name` (any bucket of a sharded one). */
export const isKeyOfModel = (name: string, key: string): boolean => {
  const shards = shardCountOf(name);
  if (shards > 1)
    return (
      layoutCountsOf(name).some((count) => bucketOfKey(name, count, key) !== undefined) &&
      key.charAt(key.indexOf("}") + 1) === ":"
    );
  return key.startsWith(`${modelTag(name)}:`);
};

/** The model tag and `:` that begin an instance key of the model named `name` (`Author:`, `{Event#3.17}:`). */
export const keyPrefixOf = (name: string, key: string): string =>
  shardCountOf(name) > 1 ? key.slice(0, key.indexOf("}") + 2) : `${modelTag(name)}:`;

/**
 * An instance key as the connected layout spells it: on a cluster, a key given in the standalone
 * spelling (`Book:Dune`, as Python Popoto or a standalone server stores it) names the same
 * instance as `{Book}:Dune`, and is rewritten to it; anything else is returned as given.
 */
export const inLayout = (model: ModelMeta | string, key: string): string => {
  const name = typeof model === "string" ? model : model.name;
  // A sharded model has one layout on both topologies.
  return shardCountOf(name) <= 1 && isClusterMode() && key.startsWith(`${name}:`)
    ? `{${name}}${key.slice(name.length)}`
    : key;
};

/** `Book:The Hobbit` from already-escaped key parts. */
export const instanceKey = (model: ModelMeta, escapedParts: readonly string[]): string =>
  joinKey([modelTag(model), ...escapedParts]);

/** `$Class:Book`: every instance key of the model. */
export const classSet = (model: ModelMeta): string => `$Class:${modelTag(model)}`;

/**
 * A value as a key part: Python `str()` rules (docs/storage.md §2), then Popoto escaping.
 * `null` is the part `None`.
 */
export const valuePart = (type: KeyType, value: unknown): string => escapePart(toKeyPart(type, value));

/**
 * A relationship used as a sorted field's partition: the related instance's key escaped again as
 * one ordinary part, as Popoto does (it appends `str(instance)`, the escaped key, which `DB_key`
 * then cleans): `Company:Ac/-me:1` gives `Company{&#58;}Ac///-me{&#58;}1`, and null `None`.
 * (A relationship's reverse set, by contrast, appends the related key as it is.)
 */
export const relatedPartitionPart = (relatedKey: string | null): string =>
  escapePart(relatedKey ?? NONE_PART);

/**
 * Every part a value may have in keys written by Popoto 0.8.3 or current Popoto: `valuePart`
 * first, then 0.8.3's `str(datetime)` spellings of a datetime. Lookups read all of them; writes
 * use only the first. (0.8.3's literal `{&#58;}`, left unescaped, is not looked up: it is the very
 * spelling of a `:`, so it would find other values' rows; such a row is read by its key.)
 */
export const valuePartForms = (type: KeyType, value: unknown): string[] => {
  const text = toKeyPart(type, value);
  return [...new Set([escapePart(text), ...legacyKeyParts(type, value).map(escapePart)])];
};

/** Set prefixes of the fields indexed by value, by field kind (Popoto's names). */
const VALUE_SET_PREFIX = {
  key: "$KeyF",
  uniqueKey: "$UniqueKeyF",
  indexed: "$IndexF",
  unique: "$UniquF",
} as const;

/** The field kinds indexed with one set per value. */
export type ValueSetKind = keyof typeof VALUE_SET_PREFIX;

/**
 * `$KeyF:Book:title:<part>`, `$UniqueKeyF:…`, `$IndexF:…` or `$UniquF:…` (the prefix follows the
 * field's kind): the instances whose field has that value; `part` is escaped, `None` for null.
 */
export const valueSet = (model: ModelMeta, field: string, kind: ValueSetKind, part: string): string =>
  `${VALUE_SET_PREFIX[kind]}:${modelTag(model)}:${field}:${part}`;

/** `$SortF:Book:pages[:<partition part>…]` or `$SortedKeyF:…`; partition parts are escaped (`valuePart`, `relatedPartitionPart`). */
export const sortedSet = (
  model: ModelMeta,
  field: string,
  partitionParts: readonly string[],
  key: boolean,
): string => joinKey([`${key ? "$SortedKeyF" : "$SortF"}`, modelTag(model), field, ...partitionParts]);

/** `$GeoF:Place:location`: a geo set of instance keys at their (longitude, latitude). */
export const geoSet = (model: ModelMeta, field: string): string => `$GeoF:${modelTag(model)}:${field}`;

/** `$RelationshipF:Book:author:Author:Tolkien`: the related key is appended as it is, not escaped again. */
export const relationshipSet = (model: ModelMeta, field: string, relatedKey: string | null): string =>
  `$RelationshipF:${modelTag(model)}:${field}:${relatedKey ?? "None"}`;

/**
 * Every reverse set that may hold the referrers of `relatedKey` through `model.field`: the one set,
 * or for a sharded referring model one per bucket (a reverse set lives in the referrer's bucket),
 * or only the bucket `relatedKey` names when the model is sharded by that relationship.
 */
export const reverseSetsOf = (model: ModelMeta, field: string, relatedKey: string): string[] => {
  if (model.shards <= 1) return [relationshipSet(model, field, relatedKey)];
  if (model.shardBy === field)
    return [
      relationshipSet(inBucket(model, bucketOfText(keyBody(relatedKey), model.shards)), field, relatedKey),
    ];
  return allBuckets(model).map((view) => relationshipSet(view, field, relatedKey));
};

/**
 * `$CompositeF:Book:author+year:Tolkien:1937`: the instances whose `author` and `year` have those
 * values (parts escaped, `None` for null, a related key escaped again as one part), for a
 * composite index (model option `indexes`). popoto's own structure: field names are identifiers,
 * so `+` between them and `:` between the parts keep every index and combination apart.
 */
export const compositeSet = (model: ModelMeta, fields: readonly string[], parts: readonly string[]): string =>
  joinKey([`$CompositeF`, modelTag(model), fields.join("+"), ...parts]);

/**
 * `$Index:Book:isbn:number` (Popoto 1.x, `ModelOptions.get_index_key`): for a unique composite
 * index, a HASH from the digest of each held combination (`indexDigest`) to the key of the
 * instance holding it. The field names follow the index's order, joined with `:` (unescaped, as
 * Popoto spells it); the model's name carries its hash tag on a cluster, so the hash shares the
 * model's slot (Python Popoto does not run on a cluster).
 */
export const compositeIndexHash = (model: ModelMeta, fields: readonly string[]): string =>
  `$Index:${modelTag(model)}:${fields.join(":")}`;

/** Whether `key` is a `$Index` hash (whose entries are hash fields, not set members). */
export const isIndexHash = (key: string): boolean => key.startsWith("$Index:");

/**
 * `$TagF:Book:tags:<part>` (Popoto 1.x TagField): the instances carrying the tag; the tag is
 * escaped as a key part (`agent:valor` gives `agent{&#58;}valor`).
 */
export const tagSet = (model: ModelMeta, field: string, tag: string): string =>
  `$TagF:${modelTag(model)}:${field}:${escapePart(tag)}`;

/**
 * `$TagPtr:Book:Dune:tags` (Popoto 1.x): the `$TagF` sets the instance at `key` is in, kept so
 * Python Popoto (which reads its previous tags from here) removes the right entries on its saves.
 * The instance key carries the model's hash tag on a cluster, so the pointer shares its slot.
 */
export const tagPointer = (key: string, field: string): string => `$TagPtr:${key}:${field}`;

/** The instance key a `$TagPtr` pointer set is named after, or undefined for any other key. */
export const tagPointerInstance = (pointer: string): string | undefined =>
  pointer.startsWith("$TagPtr:") ? pointer.slice("$TagPtr:".length, pointer.lastIndexOf(":")) : undefined;

/**
 * `$LexF:Book:title`: a sorted set (all scores 0) of `<value>\0\0<instance key>` for the string key
 * field `title`, so `__startswith` is a ZRANGEBYLEX whose cost follows the answer. popoto's own
 * structure; Python Popoto does not write it, `rebuildIndexes()` can.
 */
export const lexIndex = (model: ModelMeta, field: string): string => `$LexF:${modelTag(model)}:${field}`;

/** `$LexRevF:Book:title`: as `$LexF`, with each value's characters reversed, for `__endswith`. */
export const lexReverseIndex = (model: ModelMeta, field: string): string =>
  `$LexRevF:${modelTag(model)}:${field}`;

/**
 * The model tag in a SCAN pattern: a sharded model (not a bucket's view) as `{Event#*`, which
 * matches every bucket's tag (a model name is an identifier, so `{Event#` begins no other model's).
 */
const patternTag = (model: ModelMeta): string =>
  model.shards > 1 && model.bucket === undefined ? `{${model.name}#*` : modelTag(model);

/**
 * SCAN patterns for every index structure of a model (of every bucket of a sharded model, unless
 * given a bucket's view), with the Redis type each holds: what the index tools read to compare
 * indexes with the hashes. Model names are identifiers, so they hold no glob character.
 */
export const indexKeyPatterns = (
  model: ModelMeta,
): readonly { readonly pattern: string; readonly type: "set" | "zset" | "hash" }[] => {
  const tag = patternTag(model);
  return [
    { pattern: `$Class:${tag}`, type: "set" },
    { pattern: `$KeyF:${tag}:*`, type: "set" },
    { pattern: `$UniqueKeyF:${tag}:*`, type: "set" },
    { pattern: `$IndexF:${tag}:*`, type: "set" },
    { pattern: `$UniquF:${tag}:*`, type: "set" },
    { pattern: `$RelationshipF:${tag}:*`, type: "set" },
    { pattern: `$SortF:${tag}:*`, type: "zset" },
    { pattern: `$SortedKeyF:${tag}:*`, type: "zset" },
    { pattern: `$GeoF:${tag}:*`, type: "zset" },
    { pattern: `$LexF:${tag}:*`, type: "zset" },
    { pattern: `$LexRevF:${tag}:*`, type: "zset" },
    { pattern: `$TagF:${tag}:*`, type: "set" },
    { pattern: `$CompositeF:${tag}:*`, type: "set" },
    { pattern: `$TagPtr:${tag}:*`, type: "set" },
    // One exact key per unique composite index: Popoto 1.x also keeps `$Index` hashes for plain
    // composite indexes, which popoto neither writes nor checks.
    ...model.compositeIndexes
      .filter((index) => index.unique)
      .map((index) => ({ pattern: compositeIndexHash(model, index.fields), type: "hash" as const })),
  ];
};

/**
 * SCAN pattern of a model's instance hashes (`Book:*`); for a sharded model (not a bucket's view),
 * of every bucket's at once (`{Event#*`): the caller keeps the keys whose tag is a bucket's.
 */
export const instanceKeyPattern = (model: ModelMeta): string =>
  model.shards > 1 && model.bucket === undefined ? patternTag(model) : `${modelTag(model)}:*`;

/**
 * The bucket of a sharded model whose tag follows an index structure's prefix
 * (`$KeyF:{Event#3.17}:title:x` → 3, `$IndexValues:{Event#3.17}:…` → 3), or undefined when the
 * key is no structure of any bucket of the model.
 */
export const bucketOfIndexKey = (model: ModelMeta, key: string): number | undefined =>
  key.startsWith("$") ? bucketOfKey(model.name, model.shards, key.slice(key.indexOf(":") + 1)) : undefined;

/** `$IndexValues:Book:`: what every ttl shadow of the model (of one bucket's view, when sharded) begins with. */
export const indexValuesPrefix = (model: ModelMeta): string => `$IndexValues:${modelTag(model)}:`;

/** SCAN pattern of the model's ttl shadows (`$IndexValues:Book:*`; every bucket's of a sharded model). */
export const indexValuesPattern = (model: ModelMeta): string => `$IndexValues:${patternTag(model)}:*`;

/** `$ModelEvents:Book`: the pub/sub channel of a model's change events (a channel, not a key). */
export const modelEventsChannel = (model: ModelMeta): string => `$ModelEvents:${modelTag(model.name)}`;

/**
 * `stream:Book` (`stream:{Book}` on a cluster): the change feed of a model declared with `changes`,
 * a Redis stream appended to by the write scripts. Popoto 1.x's `EventStreamMixin` key
 * (`stream:<_stream_name>`) with the model's name as the stream name; one stream per model, so it
 * shares the model's slot on a cluster (docs/storage.md, "Change feed").
 */
export const changeStream = (model: ModelMeta | string): string => `stream:${modelTag(model)}`;

/**
 * Every change-feed stream of a model: its one stream, or one per bucket of a sharded model
 * (`stream:{Event#3.17}`, in the bucket's slot, so the bucket's write script can append to it:
 * docs/storage.md §7a), bucket 0 first.
 */
export const changeStreams = (model: ModelMeta): string[] => allBuckets(model).map(changeStream);

/** The stream a write of the instance at `key` is appended to: the model's, or its bucket's. */
export const changeStreamOf = (model: ModelMeta, key: string): string => changeStream(forKey(model, key));

/**
 * `$IndexValues:Book:Book:The Hobbit`: for models with a ttl, the indexed fields' stored bytes,
 * kept without expiry so the index entries of an expired instance can still be found and removed.
 */
export const indexValuesHash = (model: ModelMeta, key: string): string =>
  `$IndexValues:${modelTag(forKey(model, key))}:${key}`;

const SET_PREFIXES = [
  "$Class:",
  "$KeyF:",
  "$UniqueKeyF:",
  "$IndexF:",
  "$UniquF:",
  "$RelationshipF:",
  "$TagF:",
  "$TagPtr:",
  "$CompositeF:",
];
const ZSET_PREFIXES = ["$SortF:", "$SortedKeyF:", "$GeoF:", "$LexF:", "$LexRevF:"];

/** The Redis type popoto keeps at a key it reads: index sets, sorted sets, or instance (and shadow) hashes. */
export const expectedKeyType = (key: string): "set" | "zset" | "hash" =>
  SET_PREFIXES.some((p) => key.startsWith(p))
    ? "set"
    : ZSET_PREFIXES.some((p) => key.startsWith(p))
      ? "zset"
      : "hash";

/**
 * `$DeleteJournal:Book:Book:Dune`: a delete of `Book:Dune` that runs in several steps (its
 * `onDelete` referrers live in other slots, or are too many for one script) and has not finished.
 * In the target's slot; a small hash (docs/storage.md, "Delete journal"). Removed when the
 * sequence ends; one left behind is resumed by the next delete of that key or `popoto repair`.
 */
export const deleteJournal = (model: ModelMeta, key: string): string =>
  `$DeleteJournal:${modelTag(forKey(model, key))}:${key}`;

/**
 * SCAN pattern of a model's delete journals (`$DeleteJournal:Book:*`); of a sharded model's, in
 * every bucket at once (`$DeleteJournal:{Event#*:*`: `#` ends the model's name in a bucket tag).
 */
export const deleteJournalPattern = (model: ModelMeta): string => `$DeleteJournal:${patternTag(model)}:*`;

/** The instance key a delete journal is named after. */
export const journalTarget = (model: ModelMeta, journalKey: string): string =>
  model.shards > 1
    ? keyBody(journalKey.slice("$DeleteJournal:".length))
    : journalKey.slice(`$DeleteJournal:${modelTag(model)}:`.length);

/**
 * Which keys Redis Cluster keeps together: keys with the same result share a slot (Redis hashes
 * only the text between the first `{` and the next `}`, when that text is not empty). Two
 * different results may still share a slot by chance; treating them apart only costs a step.
 * On a standalone server every key is together: the result is "".
 */
export const slotGroup = (key: string): string => {
  if (!isClusterMode()) return "";
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  return close === -1 || close === open + 1 ? key : key.slice(open + 1, close);
};

/** `$Quarantine:Book:Dune`: where `clean --corrupt=quarantine` moves a corrupt instance, out of every index. */
export const quarantineKey = (key: string): string => `$Quarantine:${key}`;

/**
 * `$Shards:Event` (`$Shards:{Event}` on a cluster, the model's own slot): a sharded model's layout
 * record, a HASH of `count` and, while a reshard moves it, `to`, `done`, `moving` and `epoch`
 * (docs/storage.md §7a "Resharding").
 */
export const layoutRecordKey = (meta: ModelMeta): string => `$Shards:${modelTag(meta.name)}`;

/** `$ShardsLock:Event`: the token of the one process moving the model's instances (SET NX PX). */
export const reshardLockKey = (meta: ModelMeta): string => `$ShardsLock:${modelTag(meta.name)}`;

/**
 * `$Retired:{Event#3.17}`, in a bucket's own slot: the counts of the layouts in which that bucket
 * is retired. A write of layout K to the bucket is guarded on K not being a member, so a process
 * that still writes the old layout fails its guard once the mover has started on the bucket.
 */
export const retiredSet = (bucketView: ModelMeta): string => `$Retired:${modelTag(bucketView)}`;

/**
 * `$Schema:Book` (`$Schema:{Book}` on a cluster, so the write and query scripts of the model can
 * read it in its slot): the model's schema fingerprint, a hash of the indexes Redis holds for every
 * stored instance (docs/storage.md, "Schema fingerprint"). popoto's own structure; Python Popoto
 * neither writes nor reads it.
 */
export const schemaKey = (model: ModelMeta): string => `$Schema:${modelTag(model)}`;

/** Index-key prefixes whose completeness the fingerprint records, by the kind of index they hold. */
const FINGERPRINTED = {
  "$SortF:": "sorted",
  "$IndexF:": "indexed",
  "$UniquF:": "unique",
  "$RelationshipF:": "relationship",
  "$TagF:": "tag",
  "$GeoF:": "geo",
  "$CompositeF:": "composite",
} as const;

const FINGERPRINTED_ENTRIES = Object.entries(FINGERPRINTED) as [
  keyof typeof FINGERPRINTED,
  FingerprintedKind,
][];

/** The kinds of index the schema fingerprint records. */
export type FingerprintedKind = (typeof FINGERPRINTED)[keyof typeof FINGERPRINTED];

/**
 * The index an index key of `model` belongs to: its kind and field (`a+b` for a composite index),
 * or undefined for a key the fingerprint does not track (the class set, key-field sets, lex
 * indexes). Field names are identifiers, so the part after the model tag up to the next `:` is
 * the field exactly.
 */
export const indexOfKey = (
  model: ModelMeta,
  key: string,
): { readonly kind: FingerprintedKind; readonly field: string } | undefined => {
  // Every index prefix starts with "$", no instance key does: a query loading a thousand rows by
  // key passes them all through here, so they are turned away before any string is built.
  if (!key.startsWith("$")) return undefined;
  for (const [prefix, kind] of FINGERPRINTED_ENTRIES) {
    if (!key.startsWith(prefix)) continue;
    const tag = `${modelTag(model)}:`;
    if (!key.startsWith(tag, prefix.length)) return undefined;
    const rest = key.slice(prefix.length + tag.length);
    const end = rest.indexOf(":");
    return { kind, field: end === -1 ? rest : rest.slice(0, end) };
  }
  return undefined;
};
