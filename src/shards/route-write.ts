/**
 * Where a sharded model's write goes under a layout (docs/storage.md §7a "Resharding", "Writes"),
 * as data: the text that picks the instance's bucket, the route (`routeWrite`), and the intent
 * spelled again for the routed bucket (every key of the model's own bucket tag replaced by the
 * routed one; the key body stays). Pure: the executor (src/write/route-writes.ts) sends the result.
 */
import { declaredModel, inBucket, keyBody, layoutView, retiredSet } from "../keys/keys.js";
import { bucketOfKey, bucketOfText, bucketTag } from "../keys/shards.js";
import { ShardMoveError } from "../errors.js";
import { decodeValue } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import type { IndexEntry } from "../write/index-entries.js";
import type { Guard, SaveContent, WriteIntent } from "../write/plan-write.js";
import { routeWrite, type Layout } from "./layout-record.js";

/** Any bucket tag of the model named `name`, in any layout (`{Event#3.17}`). */
const tagPattern = (name: string): RegExp => new RegExp(`\\{${name}#\\d+\\.\\d+\\}`);

/** `text` with its first bucket tag of the model replaced by `tag` (a key of the model's own structures). */
export const retagFirst = (name: string, text: string, tag: string): string =>
  text.replace(tagPattern(name), tag);

/**
 * `text` with its last bucket tag of the model replaced: a set member that ends with the instance's
 * key (`<value>\0\0<key>` of a lex index, `<field>\0<key>` of a `$Index` hash entry, the key itself).
 * Members without a NUL (`$TagPtr` members: a `$TagF` set's name) carry the model's tag first.
 */
export const retagMember = (name: string, member: string, tag: string): string => {
  if (!member.includes("\u0000")) return retagFirst(name, member, tag);
  const all = [...member.matchAll(new RegExp(tagPattern(name).source, "g"))];
  const last = all[all.length - 1];
  if (last?.index === undefined) return member;
  return member.slice(0, last.index) + tag + member.slice(last.index + last[0].length);
};

const retagEntries = (name: string, entries: readonly IndexEntry[], tag: string): IndexEntry[] =>
  entries.map((entry) => ({
    ...entry,
    key: retagFirst(name, entry.key, tag),
    member: retagMember(name, entry.member, tag),
  }));

/** A save's content spelled for another bucket tag of the same model (same key body, same hash). */
export const retagContent = (name: string, content: SaveContent, tag: string): SaveContent => ({
  newKey: retagFirst(name, content.newKey, tag),
  hash: content.hash,
  newEntries: retagEntries(name, content.newEntries, tag),
  unique: content.unique.map(([field, set]) => [field, retagFirst(name, set, tag)] as const),
});

/**
 * The text whose hash picks the bucket of the instance at `key` (`bucketFor`'s input): its key
 * body, its `shardBy` key field's part, or its `shardBy` parent's key body (`parent`; undefined
 * when unknown, null when the relationship is null).
 */
export const bucketText = (
  meta: ModelMeta,
  key: string,
  parent: string | null | undefined,
): string | undefined => {
  const by = meta.shardBy;
  const body = keyBody(key);
  if (by === undefined) return body;
  const position = meta.keyFields.indexOf(by);
  if (position >= 0) return body.split(":")[position] ?? body;
  if (parent === undefined) return undefined;
  return parent === null ? body : keyBody(parent);
};

/**
 * The instance's bucket in a layout of `count` buckets: from its text, or (text unknown: a model
 * sharded by a relationship whose parent the write does not carry) from the key's own tag when
 * the key is spelled in that layout, else its key body (a null parent's rule).
 */
export const bucketIn = (meta: ModelMeta, key: string, text: string | undefined, count: number): number =>
  text !== undefined
    ? bucketOfText(text, count)
    : (bucketOfKey(meta.name, count, key) ?? bucketOfText(keyBody(key), count));

/** The parent key (the `shardBy` relationship's target) encoded in `bytes`; null for a null one. */
const decodeParent = (meta: ModelMeta, key: string, bytes: Buffer | undefined): string | null | undefined => {
  if (bytes === undefined || meta.shardBy === undefined) return undefined;
  try {
    const value = decodeValue(meta, key, meta.shardBy, bytes);
    return typeof value === "string" ? value : null;
  } catch {
    return undefined;
  }
};

/** The `shardBy` relationship's bytes among a save's hash fields. */
const shardByBytes = (meta: ModelMeta, hash: SaveContent["hash"]): Buffer | undefined =>
  hash.find(([name]) => name === meta.shardBy)?.[1];

/**
 * The parent key that places the instance a write concerns, for a model sharded by a
 * relationship: the stored one (the instance is where its stored parent put it), else, for a
 * new instance, the one it writes. Undefined for other models or when unknown.
 */
export const parentOf = (intent: WriteIntent): string | null | undefined => {
  const meta = declaredModel(intent.meta);
  const by = meta.shardBy;
  if (by === undefined || meta.keyFields.includes(by)) return undefined;
  const stored = intent.expected?.get(by);
  if (stored !== undefined) return decodeParent(meta, intent.oldKey, stored);
  const written = intent.build ? shardByBytes(meta, intent.build(intent.expected).hash) : undefined;
  return decodeParent(meta, intent.oldKey, written);
};

/** Where one write goes: the layout view and bucket tag, with the retired guard it carries. */
export interface RoutedBucket {
  readonly view: ModelMeta;
  readonly count: number;
  readonly bucket: number;
  readonly tag: string;
  readonly guard: Guard;
}

/** The bucket a write of the instance at `key` goes to under `layout`, or "wait" while its bucket moves. */
export function routeKey(
  meta: ModelMeta,
  layout: Layout,
  key: string,
  text: string | undefined,
): RoutedBucket | "wait" {
  const declared = declaredModel(meta);
  const route = routeWrite(layout, (count) => bucketIn(declared, key, text, count));
  if (route === "wait") return "wait";
  const view = layoutView(declared, route.count);
  return {
    view,
    count: route.count,
    bucket: route.bucket,
    tag: bucketTag(declared.name, route.bucket, route.count),
    guard: { key: retiredSet(inBucket(view, route.bucket)), members: [String(route.count)], absent: true },
  };
}

/** An intent spelled for a routed bucket: same key body, same expected state (shared object). */
export function routedIntent(intent: WriteIntent, to: RoutedBucket): WriteIntent {
  const name = to.view.name;
  const { build, fallbackEntries, extraRemovals } = intent;
  return {
    ...intent,
    meta: to.view,
    oldKey: retagFirst(name, intent.oldKey, to.tag),
    build:
      build &&
      ((assumed) => {
        const content = retagContent(name, build(assumed), to.tag);
        // A stored instance keeps its bucket: a save whose key fields or parent put it in another
        // bucket of the routed layout is refused (as `ShardMoveError` says for the declared one).
        if (assumed !== null) {
          const parent = decodeParent(to.view, content.newKey, shardByBytes(to.view, content.hash));
          const text = bucketText(to.view, content.newKey, parent);
          const bucket = text === undefined ? to.bucket : bucketOfText(text, to.count);
          if (bucket !== to.bucket)
            throw new ShardMoveError(
              name,
              intent.oldKey,
              retagFirst(name, content.newKey, bucketTag(name, bucket, to.count)),
            );
        }
        return content;
      }),
    fallbackEntries: fallbackEntries && retagEntries(name, fallbackEntries, to.tag),
    extraRemovals: extraRemovals && retagEntries(name, extraRemovals, to.tag),
  };
}
