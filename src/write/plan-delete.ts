/**
 * Plans a delete with `onDelete` actions as an ordered list of steps: each step one `write.lua`
 * call, confined to one slot (all its keys share a hash tag on a cluster; on a standalone server
 * every key is together) and of bounded size. Pure: from what the delete read (a `DeleteGraph`)
 * to data a unit test can assert (test/unit/delete-steps.test.ts).
 *
 * Order, so that no referrer ever points at an instance already deleted:
 * 1. every setNull (the referrers that stay lose their pointers first);
 * 2. the deletes, deepest referrer first: an instance goes only after every instance that cascades
 *    from it (its rank is one more than its referrers' highest), the targets last.
 * Steps are cut where the slot changes or the size bound is reached, never reordered, so a crash
 * between two steps leaves every remaining instance reachable from the targets' reverse sets, and
 * running the whole delete again finishes it.
 */
import { deleteIntent, setNullIntent } from "./delete-intents.js";
import type { ModelMeta } from "../model/meta.js";
import { planWrites, type Guard, type Snapshot, type WriteIntent } from "./plan-write.js";

/** An instance the delete removes: a target, or a referrer reached by cascade. */
export interface DeleteNode {
  readonly meta: ModelMeta;
  expected: Snapshot;
  /** True for the instances the caller named (deleted in any stored state). */
  readonly target: boolean;
  /** Keys of instances that cascade from this one (they point at it): deleted before it. */
  readonly referrers: string[];
}

/** A referrer that stays, with the relationship fields to clear of deleted targets (setNull). */
export interface ClearNode {
  readonly meta: ModelMeta;
  expected: Snapshot;
  /** Field → the deleted targets to remove from it. */
  readonly clears: Map<string, Set<string>>;
}

/** What a delete read: data only. */
export interface DeleteGraph {
  /** In the order found: targets first. */
  readonly deletes: ReadonlyMap<string, DeleteNode>;
  readonly clears: ReadonlyMap<string, ClearNode>;
  /** Every reverse set read, with the members seen (an `onDelete: "protect"` set must stay as seen). */
  readonly guards: readonly Guard[];
  /** Instances already deleted by an earlier round (a sweep): their referrers are planned, not they. */
  readonly done?: ReadonlySet<string> | undefined;
}

/**
 * The size bound of one step (one script): at most `maxKeys` distinct KEYS and `maxArgs` ARGV.
 * A script runs alone on its server, so its size is how long every other client waits. write.lua
 * spends tens of microseconds of server CPU per instance it writes (type checks, the stored-state
 * check, the deletes of its entries); 500 keys (about 250 instances of a model with a key field
 * and a relationship) measured a 7 ms median step (bench/delete-steps.ts, docs/benchmarks.md),
 * within the ~10 ms a script may hold Redis. It is also far below the RangeError of spreading a
 * huge argument list into one call. One instance's own write is never split: a step holds at
 * least one, however many keys that instance alone needs.
 */
export interface StepLimits {
  readonly maxKeys: number;
  readonly maxArgs: number;
}

export const DEFAULT_STEP_LIMITS: StepLimits = { maxKeys: 500, maxArgs: 10_000 };

/** One script of a delete. */
export interface DeleteStep {
  /** The slot group every key of the step shares ("" on a standalone server). */
  readonly slot: string;
  readonly intents: WriteIntent[];
  /** Reverse-set guards checked by this step (only when the whole delete is one step). */
  readonly guards: Guard[];
  /** Distinct KEYS and ARGV count of the step's `write.lua` call. */
  readonly keys: number;
  readonly args: number;
}

export interface DeletePlan {
  readonly steps: DeleteStep[];
  /**
   * True when the whole delete is one step that also checks every reverse set it read: then it is
   * exactly atomic (a referrer added or removed meanwhile fails the step, which is planned again),
   * and needs neither a journal nor a sweep.
   */
  readonly atomic: boolean;
}

/**
 * Ranks of the deleted instances: 0 for one with no cascading referrer in the delete, else one
 * more than its referrers' highest. A cycle (instances cascading from each other) is cut where
 * the walk meets an instance it is still ranking. Iterative: a chain of any length is safe.
 */
export function deleteRanks(deletes: ReadonlyMap<string, DeleteNode>): Map<string, number> {
  const rank = new Map<string, number>();
  const open = new Set<string>();
  for (const start of deletes.keys()) {
    if (rank.has(start)) continue;
    const stack: { key: string; next: number }[] = [{ key: start, next: 0 }];
    open.add(start);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as { key: string; next: number };
      const referrers = deletes.get(frame.key)?.referrers ?? [];
      const child = referrers[frame.next];
      if (child !== undefined) {
        frame.next++;
        if (!rank.has(child) && !open.has(child) && deletes.has(child)) {
          open.add(child);
          stack.push({ key: child, next: 0 });
        }
        continue;
      }
      let own = 0;
      for (const r of referrers) {
        const below = rank.get(r);
        if (below !== undefined && r !== frame.key) own = Math.max(own, below + 1);
      }
      rank.set(frame.key, own);
      open.delete(frame.key);
      stack.pop();
    }
  }
  return rank;
}

/** The intents of a delete, in the order they must be applied (before cutting into steps). */
export function orderedIntents(
  graph: DeleteGraph,
  slotOf: (key: string) => string,
): { intent: WriteIntent; slot: string }[] {
  const bySlot = <T extends { slot: string }>(list: T[]): T[] => {
    // Stable grouping by slot (in order of first appearance) so a slot's writes share steps.
    const order = new Map<string, number>();
    for (const item of list) if (!order.has(item.slot)) order.set(item.slot, order.size);
    return list
      .map((item, i) => ({ item, i }))
      .sort((a, b) => (order.get(a.item.slot) as number) - (order.get(b.item.slot) as number) || a.i - b.i)
      .map(({ item }) => item);
  };
  const clears = [...graph.clears]
    .filter(([key]) => !graph.deletes.has(key))
    .map(([key, node]) => ({
      intent: setNullIntent(node.meta, key, node.clears, node.expected),
      slot: slotOf(key),
    }));
  const ranks = deleteRanks(graph.deletes);
  const byRank = new Map<number, { intent: WriteIntent; slot: string }[]>();
  for (const [key, node] of graph.deletes) {
    if (graph.done?.has(key)) continue;
    const r = ranks.get(key) ?? 0;
    const list = byRank.get(r) ?? [];
    list.push({ intent: deleteIntent(node.meta, key, node.expected, node.target), slot: slotOf(key) });
    byRank.set(r, list);
  }
  const deletes = [...byRank.keys()].sort((a, b) => a - b).flatMap((r) => bySlot(byRank.get(r) ?? []));
  return [...bySlot(clears), ...deletes];
}

/** Cuts a delete into steps: one slot each, within `limits`; see the module comment for the order. */
export function planDeleteSteps(
  graph: DeleteGraph,
  slotOf: (key: string) => string,
  limits: StepLimits = DEFAULT_STEP_LIMITS,
): DeletePlan {
  const steps: { slot: string; intents: WriteIntent[]; keys: Set<string>; args: number }[] = [];
  for (const { intent, slot } of orderedIntents(graph, slotOf)) {
    const call = planWrites([intent]);
    let step = steps[steps.length - 1];
    if (step && step.slot === slot) {
      const added = call.keys.filter((k) => !step?.keys.has(k)).length;
      if (step.keys.size + added > limits.maxKeys || step.args + call.args.length > limits.maxArgs)
        step = undefined;
    } else step = undefined;
    if (!step) {
      step = { slot, intents: [], keys: new Set(), args: 2 };
      steps.push(step);
    }
    step.intents.push(intent);
    for (const k of call.keys) step.keys.add(k);
    // Each call alone counts the guard and intent counts (2 arguments) once.
    step.args += call.args.length - 2;
  }
  const only = steps.length === 1 ? steps[0] : undefined;
  const atomic =
    only !== undefined &&
    graph.done === undefined &&
    graph.guards.every((g) => slotOf(g.key) === only.slot) &&
    only.keys.size + graph.guards.length <= limits.maxKeys &&
    only.args + graph.guards.reduce((n, g) => n + 2 + g.members.length, 0) <= limits.maxArgs;
  return {
    atomic,
    steps: steps.map((s) => {
      const guards = atomic ? [...graph.guards] : [];
      const call = planWrites(s.intents, guards);
      return { slot: s.slot, intents: s.intents, guards, keys: call.keys.length, args: call.args.length };
    }),
  };
}
