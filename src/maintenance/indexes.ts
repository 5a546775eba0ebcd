import { getConnection, wrapRedisError } from "../connection/connection.js";
import { scanMasters, totalKeys } from "../connection/masters.js";
import type { RedisClient } from "../connection/connection.js";
import type { Redis } from "ioredis";
import { indexKeyPatterns, indexValuesHash, instanceKeyPattern, quarantineKey } from "../keys/keys.js";
import { splitKey } from "../keys/escape.js";
import { CorruptDataError } from "../errors.js";
import { decodeHash, decodeSnapshot, snapshotOf, valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { computeKey } from "../model/values.js";
import { executeBulk, type BulkOptions } from "../write/bulk.js";
import { indexEntries, type IndexEntry } from "../write/index-entries.js";
import type { Snapshot, WriteIntent } from "../write/plan-write.js";

/** One way an index disagrees with the hashes. */
export interface IndexDifference {
  /** `missing`: the hash calls for the entry, the index lacks it; `stale`: the index has an entry no hash calls for; `score`: a sorted entry with the wrong score. */
  readonly kind: "missing" | "stale" | "score";
  /** The index structure (`$KeyF:Book:title:Dune`). */
  readonly index: string;
  readonly member: string;
  /** The instance the entry is about. */
  readonly instance: string;
  readonly expected?: number | undefined;
  readonly actual?: number | undefined;
}

/** An instance hash that cannot be decoded. */
export interface CorruptRow {
  readonly key: string;
  readonly field: string;
  readonly message: string;
}

/** A key of the wrong Redis type where popoto keeps an index or an instance. */
export interface WrongTypeKey {
  readonly key: string;
  readonly actual: string;
  readonly expected: "set" | "zset" | "hash";
}

/** What `checkIndexes()` found. */
export interface IndexReport {
  readonly model: string;
  /** Instance hashes read. */
  readonly instances: number;
  /** Index structures read, and entries in them. */
  readonly indexKeys: number;
  readonly entries: number;
  /** Hashes whose stored key is not the key their values make (left alone, as Popoto's rebuild does). */
  readonly misplaced: readonly string[];
  /** Instance hashes with a value that does not decode: key and field. Their index entries are left alone. */
  readonly corrupt: readonly CorruptRow[];
  /** Keys at a model's index or instance names holding another Redis type than popoto keeps there. */
  readonly wrongType: readonly WrongTypeKey[];
  readonly differences: readonly IndexDifference[];
  /** How many differences of each kind. */
  readonly counts: { readonly missing: number; readonly stale: number; readonly score: number };
}

/** Progress of a scan: what is being read, and how far it got. */
export type MaintenanceProgress = (phase: string, done: number, total: number) => void;

export interface MaintenanceOptions extends Pick<BulkOptions, "batchSize"> {
  readonly onProgress?: MaintenanceProgress | undefined;
}

/** What a repair does with corrupt rows (and instance keys of another Redis type): see README "Operations". */
export type CorruptAction = "report" | "quarantine" | "delete";

export interface RepairOptions extends MaintenanceOptions {
  /**
   * `report` (default): list them and leave them alone. `quarantine`: rename each to
   * `$Quarantine:<key>` (kept for inspection, out of every query) and remove its index entries.
   * `delete`: delete each and remove its index entries.
   */
  readonly corrupt?: CorruptAction | undefined;
}

const redis = (): Redis => getConnection() as RedisClient as Redis;

/** Every key matching a pattern, by SCAN (never KEYS) of every master, in batches. */
async function* scanKeys(pattern: string, count: number): AsyncGenerator<string[]> {
  try {
    for await (const { keys } of scanMasters(getConnection(), pattern, count)) yield keys;
  } catch (error) {
    throw wrapRedisError(error);
  }
}

/** Members (and scores) of an index structure, by SSCAN / ZSCAN. */
async function readIndex(
  key: string,
  type: "set" | "zset",
  count: number,
): Promise<Map<string, number | undefined>> {
  const members = new Map<string, number | undefined>();
  let cursor = "0";
  do {
    const [next, batch] =
      type === "set"
        ? await redis().sscan(key, cursor, "COUNT", count)
        : await redis().zscan(key, cursor, "COUNT", count);
    cursor = next;
    if (type === "set") for (const m of batch) members.set(m, undefined);
    else for (let i = 0; i + 1 < batch.length; i += 2) members.set(batch[i] as string, Number(batch[i + 1]));
  } while (cursor !== "0");
  return members;
}

/** The instance an index member is about: the member itself, or the key after a lex member's value. */
const instanceOf = (member: string): string => {
  const at = member.indexOf("\0\0");
  return at === -1 ? member : member.slice(at + 2);
};

interface Expected {
  /** index key → member → expected entry */
  readonly entries: Map<string, Map<string, IndexEntry>>;
  readonly snapshots: Map<string, Snapshot>;
  readonly instances: number;
  readonly misplaced: string[];
  readonly corrupt: CorruptRow[];
}

/** A model's keys, found with one SCAN of the database: instance hashes, index structures, ttl shadows. */
interface ModelKeys {
  readonly instances: string[];
  readonly indexes: { readonly key: string; readonly type: "set" | "zset" }[];
  readonly shadows: string[];
  readonly wrongType: WrongTypeKey[];
}

/**
 * One SCAN pass over the database (never KEYS), sorting each key by the pattern it matches. One
 * pass costs the same as one pattern's SCAN, since SCAN MATCH filters after reading anyway.
 */
async function scanModelKeys(
  meta: ModelMeta,
  count: number,
  progress?: MaintenanceProgress,
): Promise<ModelKeys> {
  const toRegExp = (pattern: string): RegExp =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*")}$`, "s");
  const patterns = indexKeyPatterns(meta).map((p) => ({ ...p, re: toRegExp(p.pattern) }));
  const instance = toRegExp(instanceKeyPattern(meta));
  const shadowPrefix = indexValuesHash(meta, "");
  const parts = meta.keyFields.length + 1;
  const found: ModelKeys = { instances: [], indexes: [], shadows: [], wrongType: [] };
  const total = await totalKeys(getConnection());
  let seen = 0;
  for await (const batch of scanKeys("*", count)) {
    const mine: { key: string; type: "set" | "zset" | "hash"; shadow: boolean }[] = [];
    for (const key of batch) {
      if (key.startsWith(shadowPrefix)) mine.push({ key, type: "hash", shadow: true });
      else if (key.startsWith("$")) {
        const match = patterns.find((p) => p.re.test(key));
        if (match && match.type !== "hash") mine.push({ key, type: match.type, shadow: false });
      } else if (instance.test(key) && splitKey(key).length === parts)
        mine.push({ key, type: "hash", shadow: false });
    }
    // One TYPE per key of the model: a key of another type is reported by name, not read.
    const typing = redis().pipeline();
    for (const { key } of mine) typing.type(key);
    const types = ((await typing.exec()) ?? []).map(([, t]) => String(t));
    mine.forEach(({ key, type, shadow }, i) => {
      const actual = types[i] ?? "none";
      if (actual === "none") return;
      if (actual !== type) found.wrongType.push({ key, actual, expected: type });
      else if (shadow) found.shadows.push(key);
      else if (type === "hash") found.instances.push(key);
      else found.indexes.push({ key, type });
    });
    seen += batch.length;
    progress?.("scan", Math.min(seen, total), total);
  }
  return found;
}

/** Reads every hash of the model and computes the index entries it calls for. */
async function expectedEntries(
  meta: ModelMeta,
  keys: readonly string[],
  count: number,
  progress?: MaintenanceProgress,
): Promise<Expected> {
  const entries = new Map<string, Map<string, IndexEntry>>();
  const snapshots = new Map<string, Snapshot>();
  const misplaced: string[] = [];
  const corrupt: CorruptRow[] = [];
  let instances = 0;
  for (let start = 0; start < keys.length; start += count) {
    const batch = keys.slice(start, start + count);
    const pipeline = redis().pipeline();
    for (const key of batch) pipeline.hgetallBuffer(key);
    const results = (await pipeline.exec()) ?? [];
    batch.forEach((key, i) => {
      const [error, flat] = results[i] ?? [null, null];
      if (error && !String(error.message).startsWith("WRONGTYPE")) throw error;
      if (error) return; // not a hash: reported by the scan as a key of the wrong type
      const hash = new Map(Object.entries((flat ?? {}) as Record<string, Buffer>));
      if (hash.size === 0) return;
      let values: Map<string, unknown>;
      try {
        values = decodeHash(meta, key, hash);
      } catch (error) {
        if (!(error instanceof CorruptDataError)) throw error;
        corrupt.push({ key, field: error.field, message: error.message });
        return;
      }
      if (computeKey(meta, values) !== key) {
        misplaced.push(key);
        return;
      }
      instances++;
      snapshots.set(key, snapshotOf(meta, hash));
      for (const entry of indexEntries(meta, key, values)) {
        let members = entries.get(entry.key);
        if (!members) entries.set(entry.key, (members = new Map()));
        members.set(entry.member, entry);
      }
    });
    progress?.("hashes", Math.min(start + batch.length, keys.length), keys.length);
  }
  return { entries, snapshots, instances, misplaced, corrupt };
}

/**
 * Members (and scores) of many index structures: sizes first, then small ones in pipelines and
 * large ones by SSCAN / ZSCAN, so a model with thousands of small sets costs few round trips.
 */
async function* readIndexes(
  indexes: readonly { key: string; type: "set" | "zset" }[],
  count: number,
): AsyncGenerator<{ key: string; members: Map<string, number | undefined> }> {
  for (let start = 0; start < indexes.length; start += count) {
    const batch = indexes.slice(start, start + count);
    const sizes = redis().pipeline();
    for (const { key, type } of batch) {
      if (type === "set") sizes.scard(key);
      else sizes.zcard(key);
    }
    const counted = ((await sizes.exec()) ?? []).map(([, n]) => Number(n));
    const small = redis().pipeline();
    const smallKeys: { key: string; type: "set" | "zset" }[] = [];
    for (const [i, index] of batch.entries()) {
      if ((counted[i] ?? 0) > count) continue;
      smallKeys.push(index);
      if (index.type === "set") small.smembers(index.key);
      else small.zrange(index.key, 0, -1, "WITHSCORES");
    }
    const replies = ((await small.exec()) ?? []).map(([, v]) => v as string[]);
    for (const [i, { key, type }] of smallKeys.entries()) {
      const list = replies[i] ?? [];
      const members = new Map<string, number | undefined>();
      if (type === "set") for (const m of list) members.set(m, undefined);
      else for (let j = 0; j + 1 < list.length; j += 2) members.set(list[j] as string, Number(list[j + 1]));
      yield { key, members };
    }
    for (const [i, index] of batch.entries()) {
      if ((counted[i] ?? 0) > count)
        yield { key: index.key, members: await readIndex(index.key, index.type, count) };
    }
  }
}

const scoreOf = (entry: IndexEntry): number | undefined => (entry.kind === "z" ? entry.score : undefined);

async function compare(
  meta: ModelMeta,
  count: number,
  progress?: MaintenanceProgress,
): Promise<IndexReport & { expected: Expected }> {
  const keys = await scanModelKeys(meta, count, progress);
  const expected = await expectedEntries(meta, keys.instances, count, progress);
  const all: IndexDifference[] = [];
  const seen = new Set<string>();
  let total = 0;
  for await (const { key: index, members: actual } of readIndexes(keys.indexes, count)) {
    seen.add(index);
    total += actual.size;
    const wanted = expected.entries.get(index) ?? new Map<string, IndexEntry>();
    for (const [member, score] of actual) {
      const entry = wanted.get(member);
      if (!entry) all.push({ kind: "stale", index, member, instance: instanceOf(member), actual: score });
      else if (
        entry.kind === "z" &&
        !index.startsWith("$GeoF:") && // a geo score is a geohash of the point, compared by membership only
        score !== undefined &&
        Math.abs(score - entry.score) > 1e-9 * Math.max(1, Math.abs(entry.score))
      )
        all.push({
          kind: "score",
          index,
          member,
          instance: instanceOf(member),
          expected: entry.score,
          actual: score,
        });
    }
    for (const [member, entry] of wanted) {
      if (!actual.has(member))
        all.push({
          kind: "missing",
          index,
          member,
          instance: instanceOf(member),
          expected: scoreOf(entry),
        });
    }
    progress?.("indexes", seen.size, keys.indexes.length);
  }
  // Index structures the hashes call for that do not exist at all.
  for (const [index, wanted] of expected.entries) {
    if (seen.has(index)) continue;
    for (const [member, entry] of wanted)
      all.push({
        kind: "missing",
        index,
        member,
        instance: instanceOf(member),
        expected: scoreOf(entry),
      });
  }
  // A ttl shadow whose instance is gone: the leftovers of an expired instance.
  const shadowPrefix = indexValuesHash(meta, "");
  for (const shadow of keys.shadows) {
    const instance = shadow.slice(shadowPrefix.length);
    if (!expected.snapshots.has(instance)) all.push({ kind: "stale", index: shadow, member: "", instance });
  }
  // A corrupt row's entries cannot be computed: they are neither stale nor missing.
  const corrupt = new Set(expected.corrupt.map((c) => c.key));
  const differences = all.filter((d) => !corrupt.has(d.instance));
  return {
    model: meta.name,
    instances: expected.instances,
    indexKeys: keys.indexes.length,
    entries: total,
    misplaced: expected.misplaced,
    corrupt: expected.corrupt,
    wrongType: keys.wrongType,
    differences,
    counts: countKinds(differences),
    expected,
  };
}

const countKinds = (differences: readonly IndexDifference[]): IndexReport["counts"] => ({
  missing: differences.filter((d) => d.kind === "missing").length,
  stale: differences.filter((d) => d.kind === "stale").length,
  score: differences.filter((d) => d.kind === "score").length,
});

/**
 * A difference can come from a write that happened while the scan ran. Reads the instances
 * involved once more and keeps only the differences that still hold.
 */
async function confirm(
  meta: ModelMeta,
  report: IndexReport & { expected: Expected },
): Promise<IndexDifference[]> {
  if (report.differences.length === 0) return [];
  const instances = [...new Set(report.differences.map((d) => d.instance))];
  // One MULTI reads the hashes and the entries together, so no write can fall between them.
  const transaction = redis().multi();
  for (const key of instances) transaction.hgetallBuffer(key);
  for (const d of report.differences)
    transaction.zscore(d.index, d.member).sismember(d.index, d.member).exists(d.index);
  const all = (await transaction.exec()) ?? [];
  const results = all.slice(0, instances.length);
  const now = new Map<string, Map<string, IndexEntry> | null>();
  instances.forEach((key, i) => {
    const [error, flat] = results[i] ?? [null, null];
    const hash = new Map(Object.entries((error ? {} : (flat ?? {})) as Record<string, Buffer>));
    if (hash.size === 0 || report.misplaced.includes(key)) return now.set(key, null);
    try {
      const entries = indexEntries(meta, key, decodeHash(meta, key, hash));
      now.set(key, new Map(entries.map((e) => [`${e.key}\u0001${e.member}`, e])));
    } catch {
      now.set(key, null);
    }
  });
  const present = all.slice(instances.length).map(([, v]) => v);
  return report.differences.filter((d, i) => {
    const wanted = now.get(d.instance)?.get(`${d.index}\u0001${d.member}`);
    const zscore = present[3 * i];
    // A shadow difference (member "") is about the shadow hash itself existing.
    const inSet =
      d.member === ""
        ? present[3 * i + 2] === 1
        : present[3 * i + 1] === 1 || (zscore !== null && zscore !== undefined);
    if (d.kind === "missing") return wanted !== undefined && !inSet;
    if (d.kind === "stale") return wanted === undefined && inSet;
    return wanted?.kind === "z" && zscore !== null && Number(zscore) !== wanted.score;
  });
}

/**
 * Compares every index structure of the model (class set, key-field, unique and indexed-field
 * sets, sorted and geo sets, relationship reverse sets, popoto's lex indexes) with the hashes, and
 * reports each difference. Read-only; SCAN/SSCAN/ZSCAN only; safe while the application writes
 * (a difference is reported only if it still holds when re-read).
 */
export async function checkIndexes(meta: ModelMeta, options: MaintenanceOptions = {}): Promise<IndexReport> {
  return withRedisErrors(() => check(meta, options));
}

/** Runs a maintenance task, turning Redis failures into PopotoErrors. */
const withRedisErrors = async <T>(task: () => Promise<T>): Promise<T> => {
  try {
    return await task();
  } catch (error) {
    throw wrapRedisError(error);
  }
};

async function check(meta: ModelMeta, options: MaintenanceOptions): Promise<IndexReport> {
  const report = await compare(meta, options.batchSize ?? 1000, options.onProgress);
  const differences = await confirm(meta, report);
  const { expected: _expected, ...rest } = report;
  return { ...rest, differences, counts: countKinds(differences) };
}

/** What a repair changed, counted by re-reading the entries after the repair. */
export interface RepairResult {
  readonly model: string;
  /** Corrupt rows found (left alone unless quarantined or deleted). */
  readonly corrupt: readonly CorruptRow[];
  /** Keys of the wrong Redis type found; index keys among them are deleted (and their entries rebuilt by rebuild). */
  readonly wrongType: readonly WrongTypeKey[];
  /** Keys deleted because they held the wrong Redis type at an index's name. */
  readonly deletedKeys: readonly string[];
  /** Corrupt rows (or instance keys of another type) moved to `$Quarantine:<key>`. */
  readonly quarantined: readonly string[];
  /** Corrupt rows (or instance keys of another type) deleted. */
  readonly deleted: readonly string[];
  /** Differences the repair set out to fix that still hold when re-read (a concurrent write, or a failure). */
  readonly unresolved: number;
  /** Stale entries removed (and wrong scores corrected). */
  readonly removed: number;
  /** Missing entries added (rebuild only). */
  readonly added: number;
  /** Instances whose hash is gone, whose leftovers were removed. */
  readonly purged: number;
  readonly misplaced: readonly string[];
}

/** One intent per instance: remove its stale entries (and add missing ones), checked against its stored state. */
async function repair(meta: ModelMeta, options: RepairOptions, addMissing: boolean): Promise<RepairResult> {
  let report = await compare(meta, options.batchSize ?? 1000, options.onProgress);
  // Keys of the wrong type at an index's name are not popoto's index: delete them, so the index
  // can be rebuilt. Instance keys of another type are treated as corrupt rows.
  const deletedKeys: string[] = [];
  for (const wrong of report.wrongType) {
    if (wrong.expected === "hash") continue;
    if ((await redis().type(wrong.key)) === wrong.actual) {
      await redis().del(wrong.key);
      deletedKeys.push(wrong.key);
    }
  }
  const quarantined: string[] = [];
  const deleted: string[] = [];
  const action = options.corrupt ?? "report";
  const bad = [
    ...report.corrupt.map((c) => c.key),
    ...report.wrongType.filter((w) => w.expected === "hash").map((w) => w.key),
  ];
  if (action !== "report") {
    for (const key of bad) {
      if (action === "quarantine") {
        // RENAMENX: an earlier quarantined copy of the same key is never overwritten.
        if ((await redis().renamenx(key, quarantineKey(key))) === 1) quarantined.push(key);
      } else if ((await redis().del(key)) === 1) deleted.push(key);
    }
  }
  // The moved rows' index entries are now stale; read everything again to remove them too.
  if (deletedKeys.length > 0 || quarantined.length > 0 || deleted.length > 0)
    report = await compare(meta, options.batchSize ?? 1000, options.onProgress);
  const differences = await confirm(meta, report);
  const byInstance = new Map<string, IndexDifference[]>();
  for (const d of differences) {
    if (d.kind === "missing" && !addMissing) continue;
    const list = byInstance.get(d.instance) ?? [];
    list.push(d);
    byInstance.set(d.instance, list);
  }
  const intents: WriteIntent[] = [];
  for (const [instance, list] of byInstance) {
    const stale: IndexEntry[] = list
      // A stale shadow (member "") is deleted by the purge itself.
      .filter((d) => (d.kind === "stale" || d.kind === "score") && d.member !== "")
      .map((d) =>
        d.actual === undefined || d.index.startsWith("$Class") || !isZset(d.index)
          ? { kind: "s", key: d.index, member: d.member }
          : { kind: "z", key: d.index, member: d.member, score: d.actual },
      );
    const snapshot = report.expected.snapshots.get(instance);
    if (snapshot === undefined) {
      // The hash is gone (or is not this model's instance): remove what names it, if still gone.
      intents.push({
        meta,
        kind: "purge",
        oldKey: instance,
        expected: null,
        fallbackEntries: indexEntries(meta, instance, valuesFromKey(meta, instance)),
        extraRemovals: stale,
      });
      continue;
    }
    intents.push({
      meta,
      kind: "save",
      oldKey: instance,
      expected: snapshot,
      extraRemovals: stale,
      // A repair writes no field: it (re-)adds every entry the stored state calls for, so missing
      // ones appear and wrong scores are corrected, and removes the stale ones, all after the
      // script has checked the stored state is still the one the entries were computed from.
      rewriteEntries: true,
      build: (assumed) => {
        const all =
          assumed === null ? [] : indexEntries(meta, instance, decodeSnapshot(meta, instance, assumed));
        // clean adds nothing new: it only puts back the entries whose wrong score it removed.
        const rescored = new Set(
          list.filter((d) => d.kind === "score").map((d) => `${d.index}\u0001${d.member}`),
        );
        return {
          newKey: instance,
          hash: [],
          newEntries: addMissing ? all : all.filter((e) => rescored.has(`${e.key}\u0001${e.member}`)),
          unique: [],
        };
      },
    });
  }
  await executeBulk(intents, { batchSize: options.batchSize });
  // Count what changed by reading the entries again: a difference that still holds was not fixed.
  const acted = [...byInstance.values()].flat();
  const still = new Set(await confirm(meta, { ...report, differences: acted }));
  const fixed = acted.filter((d) => !still.has(d));
  const unfixedInstances = new Set([...still].map((d) => d.instance));
  return {
    model: meta.name,
    removed: fixed.filter((d) => d.kind !== "missing" && d.member !== "").length,
    added: fixed.filter((d) => d.kind === "missing").length,
    purged: [...byInstance.keys()].filter(
      (k) => report.expected.snapshots.get(k) === undefined && !unfixedInstances.has(k),
    ).length,
    misplaced: report.misplaced,
    corrupt: report.corrupt,
    wrongType: report.wrongType,
    deletedKeys,
    quarantined,
    deleted,
    unresolved: still.size,
  };
}

const isZset = (index: string): boolean =>
  index.startsWith("$SortF:") ||
  index.startsWith("$SortedKeyF:") ||
  index.startsWith("$GeoF:") ||
  index.startsWith("$Lex");

/** Removes stale index entries and corrects wrong scores; adds nothing. Safe while the application writes. */
export function cleanIndexes(meta: ModelMeta, options: RepairOptions = {}): Promise<RepairResult> {
  return withRedisErrors(() => repair(meta, options, false));
}

/**
 * Makes every index match the hashes: removes stale entries and adds missing ones (for example
 * for data written by Python Popoto or a raw client, which keeps neither the lex indexes nor the
 * None reverse sets). Indexes stay usable throughout: nothing is dropped and rebuilt from empty.
 */
export function rebuildIndexes(meta: ModelMeta, options: RepairOptions = {}): Promise<RepairResult> {
  return withRedisErrors(() => repair(meta, options, true));
}
