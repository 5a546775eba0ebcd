/**
 * Reads what a delete with `onDelete` actions reaches: from the targets, every reverse set of a
 * relationship declared with cascade, setNull or protect, level by level, and the stored state of
 * every instance found. Reads only, in bounded commands: pipelines per slot (a cluster pipeline
 * must stay on one node) of at most READ_BATCH commands or members, and SSCAN for a large set. The result is data for the step planner (src/write/plan-delete.ts).
 */
import { layoutReverseSets } from "../shards/reverse-sets.js";
import { getConnection, wrapRedisError, type RedisClient } from "../connection/connection.js";
import { reverseSetsOf, slotGroup, viewOfKey } from "../keys/keys.js";
import { readSnapshots } from "../write/bulk.js";
import type { ClearNode, DeleteGraph, DeleteNode } from "../write/plan-delete.js";
import type { Guard, Snapshot } from "../write/plan-write.js";
import type { ModelMeta } from "./meta.js";
import { incomingRelationships } from "./targets.js";
import { assertIndexesBuilt } from "../schema/state.js";

/** Commands per pipeline: a round trip stays small whatever the delete's size. */
const READ_BATCH = 1000;

/** Runs a pipeline of commands on `keys`, naming the key of a failed command in its error. */
async function pipelined(
  keys: readonly string[],
  queue: (pipeline: ReturnType<RedisClient["pipeline"]>, key: string) => void,
): Promise<unknown[]> {
  const pipeline = getConnection().pipeline();
  for (const key of keys) queue(pipeline, key);
  let results: [Error | null, unknown][];
  try {
    results = (await pipeline.exec()) ?? [];
  } catch (error) {
    throw wrapRedisError(error, keys);
  }
  return results.map(([error, reply], i) => {
    if (error) throw wrapRedisError(error, [keys[i] as string]);
    return reply;
  });
}

/**
 * The members of one large set, READ_BATCH at a time (SSCAN): no single command reads a reverse
 * set of any size whole. SSCAN may return a member twice; the set removes repeats. A member
 * added or removed during the scan may or may not be seen, as with one SMEMBERS a moment earlier
 * or later: the delete's steps guard what they act on (docs/storage.md, "Deletes in steps").
 */
async function scanMembers(key: string): Promise<string[]> {
  const found = new Set<string>();
  let cursor = "0";
  do {
    let reply: [string, string[]];
    try {
      reply = await getConnection().sscan(key, cursor, "COUNT", READ_BATCH);
    } catch (error) {
      throw wrapRedisError(error, [key]);
    }
    cursor = reply[0];
    for (const member of reply[1]) found.add(member);
  } while (cursor !== "0");
  return [...found];
}

/**
 * Members of many sets: their sizes first (SCARD, one pipeline per slot and READ_BATCH sets),
 * then the small ones whole (SMEMBERS, pipelined up to READ_BATCH members per round trip) and
 * the large ones by SSCAN, so no command reads more than about READ_BATCH members.
 */
export async function membersOf(keys: readonly string[]): Promise<Map<string, string[]>> {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const slot = slotGroup(key);
    const group = groups.get(slot);
    if (group) group.push(key);
    else groups.set(slot, [key]);
  }
  const found = new Map<string, string[]>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (let start = 0; start < group.length; start += READ_BATCH) {
        const batch = group.slice(start, start + READ_BATCH);
        const sizes = (await pipelined(batch, (p, key) => p.scard(key))).map(Number);
        let small: string[] = [];
        let members = 0;
        const flush = async (): Promise<void> => {
          const lists = await pipelined(small, (p, key) => p.smembers(key));
          small.forEach((key, i) => found.set(key, lists[i] as string[]));
          small = [];
          members = 0;
        };
        for (const [i, key] of batch.entries()) {
          const size = sizes[i] ?? 0;
          if (size === 0) found.set(key, []);
          else if (size > READ_BATCH) found.set(key, await scanMembers(key));
          else {
            if (members + size > READ_BATCH) await flush();
            small.push(key);
            members += size;
          }
        }
        if (small.length > 0) await flush();
      }
    }),
  );
  return found;
}

/** Stored states of many instances of one model, READ_BATCH per pipeline. */
async function snapshotsOf(meta: ModelMeta, keys: readonly string[]): Promise<Snapshot[]> {
  const all: Snapshot[] = [];
  for (let start = 0; start < keys.length; start += READ_BATCH)
    all.push(...(await readSnapshots(meta, keys.slice(start, start + READ_BATCH))));
  return all;
}

/** Reads the stored state of every node whose `expected` is still unknown, per model. */
async function fillSnapshots(
  nodes: Iterable<[string, { meta: ModelMeta; expected: Snapshot }]>,
  unknown: Set<string>,
): Promise<void> {
  const byModel = new Map<ModelMeta, [string, { expected: Snapshot }][]>();
  for (const [key, node] of nodes) {
    if (!unknown.has(key)) continue;
    const list = byModel.get(node.meta);
    if (list) list.push([key, node]);
    else byModel.set(node.meta, [[key, node]]);
  }
  await Promise.all(
    [...byModel].map(async ([meta, list]) => {
      const snapshots = await snapshotsOf(
        meta,
        list.map(([key]) => key),
      );
      list.forEach(([, node], i) => (node.expected = snapshots[i] ?? null));
    }),
  );
}

/** A referrer that blocks the delete: it points at `target` through `model.field` (protect). */
export interface ProtectHit {
  readonly target: string;
  readonly targetModel: string;
  readonly model: string;
  readonly field: string;
  readonly referrers: string[];
}

/** A target of a delete: its key, and the stored state the caller knows (undefined: read it). */
export interface DeleteRoot {
  readonly meta: ModelMeta;
  readonly key: string;
  readonly expected?: Snapshot | undefined;
}

/**
 * A reverse set the referring model's schema fingerprint does not list as built (a relationship
 * declared over stored instances, before `migrate`) lacks the referrers stored before it: cascade,
 * setNull and protect would act on part of them. Such a delete fails before anything is deleted.
 */
async function assertReverseSetsBuilt(
  reads: readonly {
    readonly incoming: { readonly model: { readonly meta: ModelMeta }; readonly field: string };
    readonly set: string;
  }[],
): Promise<void> {
  const byModel = new Map<ModelMeta, string[]>();
  for (const { incoming, set } of reads) {
    const sets = byModel.get(incoming.model.meta);
    if (sets) sets.push(set);
    else byModel.set(incoming.model.meta, [set]);
  }
  await Promise.all(
    [...byModel].map(([meta, sets]) =>
      assertIndexesBuilt(
        meta,
        sets,
        "a delete's onDelete would miss the referrers stored before it; nothing was deleted",
      ),
    ),
  );
}

/**
 * Walks from `roots` through every cascade, setNull and protect reverse set. With `done`, the
 * roots were deleted by an earlier round (a sweep after the targets went): only what points at
 * them now is collected. Returns the graph and the protect referrers that block it (members of a
 * protect set that the delete itself removes do not block).
 */
export async function collectDeleteGraph(
  roots: readonly DeleteRoot[],
  done?: ReadonlySet<string>,
): Promise<{ graph: DeleteGraph; blocked: ProtectHit[] }> {
  const deletes = new Map<string, DeleteNode>();
  const clears = new Map<string, ClearNode>();
  const guards: Guard[] = [];
  const unknown = new Set<string>();
  const protect: ProtectHit[] = [];
  for (const root of roots) {
    if (deletes.has(root.key)) continue;
    // A root loaded from a resharded model's other layout is planned with that layout's view.
    deletes.set(root.key, {
      meta: viewOfKey(root.meta, root.key),
      expected: root.expected ?? null,
      target: true,
      referrers: [],
    });
    if (root.expected === undefined && !done) unknown.add(root.key);
  }
  let frontier = [...deletes.keys()];
  while (frontier.length > 0) {
    const reads: {
      target: string;
      node: DeleteNode;
      incoming: ReturnType<typeof incomingRelationships>[number];
      set: string;
    }[] = [];
    for (const key of frontier) {
      const node = deletes.get(key) as DeleteNode;
      for (const incoming of incomingRelationships(node.meta.name)) {
        if (incoming.spec.onDelete === "nothing") continue;
        // A sharded referring model keeps a reverse set in each of its buckets.
        for (const set of incoming.model.meta.shards > 1
          ? await layoutReverseSets(incoming.model.meta, incoming.field, key)
          : reverseSetsOf(incoming.model.meta, incoming.field, key))
          reads.push({ target: key, node, incoming, set });
      }
    }
    await assertReverseSetsBuilt(reads);
    const members = await membersOf(reads.map((r) => r.set));
    const next: string[] = [];
    for (const { target, node, incoming, set } of reads) {
      const found = members.get(set) ?? [];
      guards.push({ key: set, members: found });
      const meta = incoming.model.meta;
      switch (incoming.spec.onDelete) {
        case "protect":
          if (found.length > 0)
            protect.push({
              target,
              targetModel: node.meta.name,
              model: meta.name,
              field: incoming.field,
              referrers: found,
            });
          break;
        case "cascade":
          for (const member of found) {
            if (member !== target) node.referrers.push(member);
            if (deletes.has(member)) continue;
            deletes.set(member, {
              meta: viewOfKey(meta, member),
              expected: null,
              target: false,
              referrers: [],
            });
            unknown.add(member);
            next.push(member);
          }
          break;
        default: {
          for (const member of found) {
            const clear = clears.get(member) ?? {
              // A referrer read from a resharded model's other layout is spelled in it.
              meta: viewOfKey(meta, member),
              expected: null,
              clears: new Map(),
            };
            if (!clears.has(member)) {
              clears.set(member, clear);
              unknown.add(member);
            }
            const targets = clear.clears.get(incoming.field) ?? new Set<string>();
            targets.add(target);
            clear.clears.set(incoming.field, targets);
          }
        }
      }
    }
    frontier = next;
  }
  // A referrer both cleared and deleted is deleted.
  for (const key of clears.keys()) if (deletes.has(key)) clears.delete(key);
  await fillSnapshots([...deletes, ...clears], unknown);
  const blocked = protect
    .map((hit) => ({ ...hit, referrers: hit.referrers.filter((m) => !deletes.has(m)) }))
    // A sweep cannot refuse for an instance already deleted (docs/storage.md, "Deletes in steps").
    .filter((hit) => hit.referrers.length > 0 && !done?.has(hit.target));
  return { graph: { deletes, clears, guards, done }, blocked };
}
