/**
 * Queries in bounded steps. Redis runs nothing else while a script runs, so a query whose answer
 * costs more than the script budget (src/query/limits.ts), or whose plan names more keys than one
 * call should carry (an `__in` of a million values), is answered by many small scripts: the
 * members of one input are read a page at a time (SSCAN, ZRANGE by rank), each page is tested
 * against the rest of the filter by one script, and the page of results is loaded in chunks.
 * Each step is atomic; the whole is not (like SCAN, an instance changed meanwhile may be missed).
 *
 * Over 300 lines: the stepping loop, its resume positions and the chunked loads share state that
 * a split would have to pass around; a candidate for a later split (walk / load).
 */
import type { Redis } from "ioredis";
import { getConnection, wrapRedisError, type RedisClient } from "../connection/connection.js";
import { valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { compileQuery, type ServerQuery } from "./compile.js";
import { queryLimits } from "./limits.js";
import { intersect, type PlanNode } from "./plan.js";
import { decodeRows, isStep, purge, resumeOf, text, type Row, type Want } from "./rows.js";
import { WrongTypeError, type RowProblem } from "../errors.js";
import { expectedKeyType } from "../keys/keys.js";
import { assertIndexesBuilt } from "../schema/state.js";
import { LayoutMoved, retiredCheckOf } from "../shards/read-layout.js";

const redis = (): Redis => getConnection() as RedisClient as Redis;

/** Keys plus arguments a node sends with a script call (as compileQuery lays them out). */
export function planSize(node: PlanNode): number {
  switch (node.t) {
    case "set":
      return 1;
    case "zr":
    case "lexs":
    case "part":
      return 3;
    case "lex":
      return 7;
    case "scan":
      return 4;
    case "nulls":
      return 3;
    case "geo":
      return 5;
    case "keys":
      return node.keys.length;
    case "and":
    case "or":
      return node.c.reduce((n, c) => n + planSize(c), 0);
    case "diff":
      return node.b.reduce((n, c) => n + planSize(c), planSize(node.a));
    case "none":
      return 0;
  }
}

export const tooLarge = (node: PlanNode): boolean => planSize(node) > queryLimits().maxScriptArgs;

/** A geo node is answered by GEOSEARCH in one script (its answer is bounded by its radius). */
export const hasGeo = (node: PlanNode): boolean =>
  node.t === "geo" ||
  ((node.t === "and" || node.t === "or") && node.c.some(hasGeo)) ||
  (node.t === "diff" && (hasGeo(node.a) || node.b.some(hasGeo)));

/** Runs one query.lua call; a key of the wrong Redis type is named in the error. */
export async function call(meta: ModelMeta, query: ServerQuery): Promise<ScriptReply[]> {
  const retired = retiredCheckOf(meta);
  const compiled = compileQuery(retired ? { ...query, retired } : query);
  // Only the index keys the plan names (an order's sorted set among them) can lag behind the data.
  await assertIndexesBuilt(meta, compiled.keys);
  let reply: ScriptReply[];
  try {
    reply = (await runScript(getConnection(), scripts.query, compiled.keys, compiled.args)) as ScriptReply[];
  } catch (error) {
    throw await nameWrongType(meta, error, compiled.keys);
  }
  if (retired && reply.length === 1 && text(reply[0]) === "RETIRED") throw new LayoutMoved(meta.name);
  return reply;
}

/**
 * After a read in steps of a sharded bucket: the bucket must not have been retired meanwhile (if
 * it is not now, it was not during the steps), else the read may have missed moved instances.
 */
async function assertNotRetired(meta: ModelMeta): Promise<void> {
  const retired = retiredCheckOf(meta);
  if (!retired) return;
  let member: number;
  try {
    member = await redis().sismember(retired.key, retired.member);
  } catch (error) {
    throw wrapRedisError(error, [retired.key]);
  }
  if (member === 1) throw new LayoutMoved(meta.name);
}

/**
 * Redis's WRONGTYPE error does not say which key: look up the types of the keys involved (only
 * after such a failure) and name the first one that holds another type than popoto keeps there.
 */
export async function nameWrongType(
  meta: ModelMeta,
  error: unknown,
  keys: readonly string[],
): Promise<unknown> {
  const message = error instanceof Error ? error.message : "";
  if (!message.includes("WRONGTYPE")) return error;
  for (let start = 0; start < keys.length; start += 1000) {
    const batch = keys.slice(start, start + 1000);
    const pipeline = redis().pipeline();
    for (const key of batch) pipeline.type(key);
    const types = ((await pipeline.exec()) ?? []).map(([, t]) => String(t));
    for (const [i, key] of batch.entries()) {
      const actual = types[i] ?? "none";
      const expected = expectedKeyType(key);
      if (actual !== "none" && actual !== expected)
        return new WrongTypeError(meta.name, key, actual, expected);
    }
  }
  return error;
}

export const budgetFor = (node: PlanNode): number => (hasGeo(node) ? 0 : queryLimits().scriptBudget);

/**
 * Runs a query: in one script when it fits the budget (continuing an ordered walk that spent its
 * budget in further scripts), else in steps.
 */
export async function runQuery(
  meta: ModelMeta,
  query: ServerQuery,
  want: Want,
  problems?: RowProblem[],
): Promise<Row[]> {
  if (tooLarge(query.node)) {
    await assertIndexesBuilt(meta, [...planKeys(query.node)]);
    return stepwise(meta, query, want, problems);
  }
  let offset = query.offset ?? 0;
  let from: number | undefined;
  const rows: Row[] = [];
  for (;;) {
    const limit = query.limit === undefined ? undefined : query.limit - rows.length;
    const reply = await call(meta, { ...query, offset, limit, from, budget: budgetFor(query.node) });
    if (isStep(reply)) return stepwise(meta, query, want, problems);
    rows.push(...(await decodeRows(meta, reply, want, problems)));
    const resume = resumeOf(reply);
    if (!resume || (query.limit !== undefined && rows.length >= query.limit)) return rows;
    from = resume.position;
    offset -= resume.skipped;
  }
}

/** Counts a query's matches: one script when it fits the budget, else in steps. */
export async function countQuery(meta: ModelMeta, node: PlanNode): Promise<number> {
  const exists = meta.expiring;
  if (!tooLarge(node)) {
    const reply = await call(meta, { node, mode: "count", exists, budget: budgetFor(node) });
    if (!isStep(reply)) {
      const gone = Array.isArray(reply[1]) ? reply[1].map((k) => text(k)) : [];
      if (gone.length > 0) await purge(meta, gone);
      return Number(reply[0]);
    }
  }
  return (await matchingKeys(meta, node)).length;
}

/** Every key a node matches whose hash exists, deduplicated, in steps of bounded size. */
export async function matchingKeys(meta: ModelMeta, node: PlanNode): Promise<string[]> {
  await assertIndexesBuilt(meta, [...planKeys(node)]);
  const seen = new Set<string>();
  const exists = meta.expiring;
  for await (const chunk of members(meta, node)) {
    const fresh = chunk.filter((k) => !seen.has(k));
    fresh.forEach((k) => seen.add(k));
    if (exists && fresh.length > 0) {
      // Matches whose hash expired: index leftovers, cleaned as one script would.
      const live = new Set(await test(meta, fresh, undefined));
      const gone = fresh.filter((k) => !live.has(k));
      gone.forEach((k) => seen.delete(k));
      if (gone.length > 0) await purge(meta, gone);
    }
  }
  await assertNotRetired(meta);
  return [...seen];
}

/** Index structures a node reads: what testing one member against it costs, in commands. */
const leaves = (node: PlanNode): number =>
  node.t === "and" || node.t === "or"
    ? node.c.reduce((n, c) => n + leaves(c), 0)
    : node.t === "diff"
      ? node.b.reduce((n, c) => n + leaves(c), leaves(node.a))
      : 1;

/**
 * The keys of `chunk` that `node` holds (all that exist when `node` is undefined), in scripts of
 * at most the budget: each candidate costs an EXISTS and a membership test per index read.
 */
async function test(
  meta: ModelMeta,
  chunk: readonly string[],
  node: PlanNode | undefined,
): Promise<string[]> {
  const per = 1 + (node === undefined ? 0 : leaves(node));
  const limits = queryLimits();
  const size = Math.max(1, Math.min(limits.maxScriptArgs, Math.floor(limits.scriptBudget / per)));
  const kept: string[] = [];
  for (const piece of pieces(chunk, size)) {
    const candidates: PlanNode = { t: "keys", keys: piece };
    const reply = await call(meta, {
      node:
        node === undefined ? candidates : intersect([candidates, ...(node.t === "and" ? node.c : [node])]),
      mode: "keys",
      exists: false,
    });
    kept.push(...reply.slice(4).map((k) => text(k)));
  }
  return kept;
}

/** Keys of `chunk` in `node`, which may be too large for one call: its members are read in steps. */
async function keep(
  meta: ModelMeta,
  chunk: readonly string[],
  node: PlanNode,
  cache: Map<PlanNode, Set<string>>,
): Promise<string[]> {
  if (!tooLarge(node)) return test(meta, chunk, node);
  let all = cache.get(node);
  if (!all) {
    all = new Set<string>();
    for await (const part of members(meta, node)) part.forEach((k) => all?.add(k));
    cache.set(node, all);
  }
  const held = all;
  return chunk.filter((k) => held.has(k));
}

/** Splits a list into pieces of at most `size`. */
function* pieces<T>(list: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < list.length; start += size) yield list.slice(start, start + size);
}

/** SSCAN a set, a chunk at a time (members may repeat, as SCAN's may). */
async function* scanSet(key: string): AsyncGenerator<string[]> {
  let cursor = "0";
  do {
    const [next, batch] = await redis().sscan(key, cursor, "COUNT", queryLimits().chunkSize);
    cursor = next;
    if (batch.length > 0) yield batch;
  } while (cursor !== "0");
}

/** The complement of a score bound, on its side: members strictly outside it. */
const outside = (bound: string): string => (bound.startsWith("(") ? bound.slice(1) : `(${bound}`);

/** A score range of a sorted set, by rank, a chunk at a time (O(log n) to each chunk's start). */
async function* scanRange(key: string, min: string, max: string): AsyncGenerator<string[]> {
  const first = min === "-inf" ? 0 : await redis().zcount(key, "-inf", outside(min));
  const size = await redis().zcount(key, min, max);
  const chunk = queryLimits().chunkSize;
  for (let at = 0; at < size; at += chunk) {
    const batch = await redis().zrange(key, first + at, first + Math.min(at + chunk, size) - 1);
    if (batch.length === 0) return;
    yield batch;
  }
}

/** How many members a simple node holds (for choosing which input of an intersection to read). */
async function estimate(node: PlanNode): Promise<number> {
  if (node.t === "set") return redis().scard(node.key);
  if (node.t === "zr") return redis().zcount(node.key, node.min, node.max);
  if (node.t === "keys") return node.keys.length;
  if (node.t === "none") return 0;
  return Number.POSITIVE_INFINITY;
}

/**
 * The members of a node, a chunk at a time, each chunk from one bounded script or read. An `or`
 * may yield a key twice (from two of its inputs); callers deduplicate.
 */
async function* members(
  meta: ModelMeta,
  node: PlanNode,
  cache = new Map<PlanNode, Set<string>>(),
): AsyncGenerator<string[]> {
  let stepped = false;
  if (!tooLarge(node)) {
    const reply = await call(meta, { node, mode: "keys", exists: false, budget: budgetFor(node) });
    if (!isStep(reply)) {
      const keys = reply.slice(4).map((k) => text(k));
      if (keys.length > 0) yield keys;
      return;
    }
    stepped = true;
  }
  const chunk = queryLimits().chunkSize;
  switch (node.t) {
    case "set":
      yield* scanSet(node.key);
      return;
    case "zr":
      yield* scanRange(node.key, node.min, node.max);
      return;
    case "keys":
      for (const piece of pieces(node.keys, queryLimits().maxScriptArgs)) yield test(meta, piece, undefined);
      return;
    case "part":
      for await (const batch of scanSet(node.key)) yield test(meta, batch, node);
      return;
    case "lex":
    case "lexs":
      // Test each instance's own value: the cost of the model, in bounded steps.
      for await (const batch of scanSet(node.scan.classKey)) yield test(meta, batch, node);
      return;
    case "or": {
      // Inputs grouped so each group fits one call; one input at a time when a group was too costly.
      const groups: PlanNode[][] = [];
      if (stepped) node.c.forEach((c) => groups.push([c]));
      else {
        let group: PlanNode[] = [];
        let size = 0;
        for (const c of node.c) {
          const n = planSize(c);
          if (group.length > 0 && size + n > queryLimits().maxScriptArgs) {
            groups.push(group);
            group = [];
            size = 0;
          }
          group.push(c);
          size += n;
        }
        if (group.length > 0) groups.push(group);
      }
      for (const group of groups)
        yield* members(meta, group.length === 1 ? (group[0] as PlanNode) : { t: "or", c: group }, cache);
      return;
    }
    case "and": {
      // Read the input that is too large for one call (it must be read anyway), else the smallest.
      let driver = node.c.find(tooLarge);
      if (!driver) {
        const sizes = await Promise.all(node.c.map(estimate));
        const least = sizes.indexOf(Math.min(...sizes));
        driver = node.c[least === -1 ? 0 : least] as PlanNode;
      }
      const rest = node.c.filter((c) => c !== driver);
      const small = rest.filter((c) => !tooLarge(c));
      const large = rest.filter(tooLarge);
      for await (const batch of members(meta, driver, cache)) {
        for (const piece of pieces(batch, chunk)) {
          let kept = small.length === 0 ? piece : await test(meta, piece, { t: "and", c: small });
          for (const other of large) kept = await keep(meta, kept, other, cache);
          if (kept.length > 0) yield kept;
        }
      }
      return;
    }
    case "diff": {
      for await (const batch of members(meta, node.a, cache)) {
        for (const piece of pieces(batch, chunk)) {
          let kept = piece;
          for (const b of node.b) {
            if (kept.length === 0) break;
            const inside = new Set(await keep(meta, kept, b, cache));
            kept = kept.filter((k) => !inside.has(k));
          }
          if (kept.length > 0) yield kept;
        }
      }
      return;
    }
    case "geo":
    case "none": {
      const reply = await call(meta, { node, mode: "keys", exists: false });
      const keys = reply.slice(4).map((k) => text(k));
      if (keys.length > 0) yield keys;
      return;
    }
  }
}

/** Scores of keys in a sorted set, a chunk per ZMSCORE (a missing member scores 0, as in query.lua). */
export async function scoresOf(key: string, keys: readonly string[]): Promise<Map<string, number>> {
  const scores = new Map<string, number>();
  for (const piece of pieces(keys, queryLimits().chunkSize)) {
    const found = (await redis().call("ZMSCORE", key, ...piece)) as (string | null)[];
    piece.forEach((k, i) => scores.set(k, Number(found[i] ?? 0)));
  }
  return scores;
}

/** Loads the rows of keys already chosen and ordered, a chunk per script. */
export async function loadRows(
  meta: ModelMeta,
  keys: readonly string[],
  want: Want,
  problems?: RowProblem[],
): Promise<Row[]> {
  const rows: Row[] = [];
  // A script loads at most maxScriptArgs rows, and no more than its budget's worth: query.lua
  // counts a loaded row as five members of work, and checks each listed key exists (one more).
  const limits = queryLimits();
  const size = Math.max(1, Math.min(limits.maxScriptArgs, Math.floor(limits.scriptBudget / 6)));
  for (const piece of pieces(keys, want.kind === "keys" ? keys.length || 1 : size)) {
    if (want.kind === "keys") {
      rows.push(...piece.map((key) => ({ key, values: valuesFromKey(meta, key), hash: undefined })));
      continue;
    }
    const reply = await call(meta, {
      node: { t: "keys", keys: piece },
      mode: want.kind,
      fields: want.kind === "fields" ? want.fields : undefined,
      exists: false,
    });
    rows.push(...(await decodeRows(meta, reply, want, problems)));
  }
  return rows;
}

/** A whole query in steps: every match, ordered here, paged, and the page loaded in chunks. */
async function stepwise(
  meta: ModelMeta,
  query: ServerQuery,
  want: Want,
  problems: RowProblem[] | undefined,
): Promise<Row[]> {
  try {
    let keys = await matchingKeys(meta, query.node);
    const order = query.order;
    const after = query.after;
    const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    if (order?.by === "score") {
      const scores = await scoresOf(order.key, keys);
      const sign = order.desc ? -1 : 1;
      const compare = (a: string, sa: number, b: string, sb: number): number =>
        sign * (sa - sb || byKey(a, b));
      keys.sort((a, b) => compare(a, scores.get(a) ?? 0, b, scores.get(b) ?? 0));
      if (after) keys = keys.filter((k) => compare(k, scores.get(k) ?? 0, after.key, after.score ?? 0) > 0);
    } else if (order?.by === "key") {
      keys.sort(byKey);
      if (order.desc) keys.reverse();
      if (after) keys = keys.filter((k) => (order.desc ? -1 : 1) * byKey(k, after.key) > 0);
    }
    const offset = query.offset ?? 0;
    const page = keys.slice(offset, query.limit === undefined ? undefined : offset + query.limit);
    return await loadRows(meta, page, want, problems);
  } catch (error) {
    throw wrapRedisError(await nameWrongType(meta, error, [...planKeys(query.node)]));
  }
}

/** Every index key a plan reads. */
export function* planKeys(node: PlanNode): Generator<string> {
  if (node.t === "and" || node.t === "or") for (const c of node.c) yield* planKeys(c);
  else if (node.t === "diff") for (const c of [node.a, ...node.b]) yield* planKeys(c);
  else if (node.t === "lex" || node.t === "lexs") yield* [node.key, node.scan.classKey];
  else if (node.t === "scan") yield node.scan.classKey;
  else if (node.t === "nulls") yield* [node.key, node.classKey];
  else if (node.t !== "keys" && node.t !== "none") yield node.key;
}
