/**
 * Runs a delete with `onDelete` actions (cascade, setNull, protect) of any size, on a standalone
 * server or a cluster, as the steps src/write/plan-delete.ts plans:
 *
 * 1. read everything the delete reaches; a protect referrer refuses it before anything is written;
 * 2. a delete that is one step checking every reverse set it read (a small delete on a standalone
 *    server) runs as that one atomic script, as before;
 * 3. otherwise: a journal per target (`$DeleteJournal:…`, in the target's slot), then the steps in
 *    order (setNull, then deletes deepest first, targets last), each one atomic script in one slot
 *    and the protect sets of the instances it deletes read again just before it; then a sweep reads
 *    the reverse sets of everything deleted again and applies `onDelete` to referrers written
 *    meanwhile, until one sweep finds none; then the journals go.
 *
 * A crash between steps leaves the journal: the next delete of that target, or `popoto repair`
 * (`resumeDeletes`), runs the delete again, which reads what remains and finishes it. Every step
 * is safe to run again (a delete of a gone instance, or a setNull of a cleared field, is planned
 * from what is stored now). docs/storage.md, "Deletes in steps", states what others see meanwhile.
 */
import { layoutReverseSets } from "../shards/reverse-sets.js";
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { PopotoError, ProtectedError } from "../errors.js";
import { deleteJournal, reverseSetsOf, slotGroup } from "../keys/keys.js";
import { ConcurrentModificationError } from "../errors.js";
import { executeWrites, GuardChanged } from "../write/execute-write.js";
import type { Guard } from "../write/plan-write.js";
import {
  DEFAULT_STEP_LIMITS,
  planDeleteSteps,
  type DeleteGraph,
  type DeleteStep,
  type StepLimits,
} from "../write/plan-delete.js";
import { collectDeleteGraph, membersOf, type DeleteRoot, type ProtectHit } from "./delete-graph.js";
import type { ModelMeta } from "./meta.js";
import { incomingRelationships } from "./targets.js";

/** What a step is about to do (for tests: counting scripts, injecting a crash between steps). */
export interface DeleteStepInfo {
  /** 0 for the steps of the delete itself, then 1, 2… for the sweeps' steps. */
  readonly round: number;
  readonly index: number;
  readonly total: number;
  readonly slot: string;
  readonly keys: number;
  readonly args: number;
  readonly writes: number;
  readonly atomic: boolean;
  /** The instance keys the step deletes. */
  readonly deletes: readonly string[];
}

/**
 * Test hooks, not part of the public API: `beforeStep` runs before each step is sent (a throw
 * there stops the sequence as a crash would); `limits` bounds each step.
 */
export const deleteSequenceHooks: {
  beforeStep?: ((info: DeleteStepInfo) => void | Promise<void>) | undefined;
  limits: StepLimits;
} = { limits: DEFAULT_STEP_LIMITS };

/** Plans made again after a referrer changed under a step, before giving up. */
const MAX_ATTEMPTS = 8;
/** Sweeps after the targets went, while referrers written meanwhile keep appearing. */
const MAX_SWEEPS = 8;

const protectedError = (hit: ProtectHit): ProtectedError =>
  new ProtectedError(hit.targetModel, hit.target, hit.model, hit.field, hit.referrers);

/** Whether an error means "a referrer changed since it was read": plan again from what is stored. */
const changedUnder = (error: unknown): boolean =>
  error instanceof GuardChanged || (error instanceof ConcurrentModificationError && error.staleCopy);

/** Runs `commands` on one pipeline (their keys share a slot). */
async function pipelined(
  keys: readonly string[],
  add: (p: ReturnType<ReturnType<typeof getConnection>["pipeline"]>) => void,
): Promise<unknown[]> {
  const pipeline = getConnection().pipeline();
  add(pipeline);
  let results: [Error | null, unknown][];
  try {
    results = (await pipeline.exec()) ?? [];
  } catch (error) {
    throw wrapRedisError(error, keys);
  }
  return results.map(([error, value]) => {
    if (error) throw wrapRedisError(error, keys);
    return value;
  });
}

/** The journal phases: steps still to run (targets may still exist), or only the sweep left. */
type JournalPhase = "steps" | "sweep";

const journalKeys = (roots: readonly DeleteRoot[]): string[] =>
  roots.map((r) => deleteJournal(r.meta, r.key));

/** Writes (or moves to `phase`) the journal of every target: one pipeline per slot. */
async function writeJournals(
  roots: readonly DeleteRoot[],
  phase: JournalPhase,
  steps?: number,
): Promise<void> {
  const bySlot = new Map<string, DeleteRoot[]>();
  for (const root of roots) {
    const slot = slotGroup(deleteJournal(root.meta, root.key));
    const list = bySlot.get(slot);
    if (list) list.push(root);
    else bySlot.set(slot, [root]);
  }
  const started = String(Date.now());
  await Promise.all(
    [...bySlot.values()].map((list) =>
      pipelined(journalKeys(list), (p) => {
        for (const root of list) {
          const key = deleteJournal(root.meta, root.key);
          if (steps === undefined) p.hset(key, "phase", phase);
          else
            p.hset(
              key,
              "target",
              root.key,
              "model",
              root.meta.name,
              "phase",
              phase,
              "steps",
              String(steps),
              "started",
              started,
            );
        }
      }),
    ),
  );
}

/**
 * Journal keys grouped by slot: the targets of one call are instances of one model, so their
 * journals share a slot, unless the model is sharded (a journal is in its target's bucket).
 */
const journalsBySlot = (roots: readonly DeleteRoot[]): string[][] => {
  const groups = new Map<string, string[]>();
  for (const key of journalKeys(roots)) {
    const group = groups.get(slotGroup(key));
    if (group) group.push(key);
    else groups.set(slotGroup(key), [key]);
  }
  return [...groups.values()];
};

async function removeJournals(roots: readonly DeleteRoot[]): Promise<void> {
  await Promise.all(
    journalsBySlot(roots).map((keys) =>
      pipelined(keys, (p) => {
        for (const key of keys) p.del(key);
      }),
    ),
  );
}

/** The phase of each target's journal ("" where there is none). */
async function journalPhases(roots: readonly DeleteRoot[]): Promise<string[]> {
  const phases = new Map<string, string>();
  await Promise.all(
    journalsBySlot(roots).map(async (keys) => {
      const values = await pipelined(keys, (p) => {
        for (const key of keys) p.hget(key, "phase");
      });
      keys.forEach((key, i) => phases.set(key, typeof values[i] === "string" ? (values[i] as string) : ""));
    }),
  );
  return journalKeys(roots).map((key) => phases.get(key) ?? "");
}

/**
 * Reads again the protect sets of the instances a step deletes: a referrer written since refuses.
 * Returns, for the sets in the step's own slot (all of them on a standalone server), guards that
 * the step's script checks before it writes: a set that gained (or lost) a member between this
 * read and the step fails the step, and the delete is read again (and refused), so no protect
 * referrer there can slip in between. A set in another slot (another model's, on a cluster)
 * cannot be checked by the step's script: docs/storage.md states that round trip's gap.
 */
async function recheckProtect(step: DeleteStep, graph: DeleteGraph): Promise<Guard[]> {
  const reads: ProtectHit[] = [];
  for (const intent of step.intents) {
    if (intent.kind !== "delete" && intent.kind !== "purge") continue;
    for (const incoming of incomingRelationships(intent.meta.name))
      if (incoming.spec.onDelete === "protect")
        for (const set of incoming.model.meta.shards > 1
          ? await layoutReverseSets(incoming.model.meta, incoming.field, intent.oldKey)
          : reverseSetsOf(incoming.model.meta, incoming.field, intent.oldKey))
          reads.push({
            target: intent.oldKey,
            targetModel: intent.meta.name,
            model: incoming.model.meta.name,
            field: incoming.field,
            referrers: [set],
          });
  }
  if (reads.length === 0) return [];
  const members = await membersOf(reads.map((r) => r.referrers[0] as string));
  const guards: Guard[] = [];
  for (const read of reads) {
    const key = read.referrers[0] as string;
    const stored = members.get(key) ?? [];
    const found = stored.filter((m) => !graph.deletes.has(m));
    if (found.length > 0) throw protectedError({ ...read, referrers: found });
    if (slotGroup(key) === slotGroup(read.target)) guards.push({ key, members: stored });
  }
  return guards;
}

/** Runs a plan's steps in order; records which targets existed and every instance deleted. */
async function runSteps(
  steps: readonly DeleteStep[],
  graph: DeleteGraph,
  round: number,
  atomic: boolean,
  existed: Map<string, boolean>,
  deleted: Map<string, ModelMeta>,
): Promise<void> {
  for (const [index, step] of steps.entries()) {
    const protectGuards = atomic ? [] : await recheckProtect(step, graph);
    await deleteSequenceHooks.beforeStep?.({
      round,
      index,
      total: steps.length,
      slot: step.slot,
      keys: step.keys,
      args: step.args,
      writes: step.intents.length,
      atomic,
      deletes: step.intents.filter((i) => i.kind === "delete" || i.kind === "purge").map((i) => i.oldKey),
    });
    const results = await executeWrites(step.intents, [...step.guards, ...protectGuards]);
    // executeWrites drops a purge that found its instance alive again: results follow step.intents.
    step.intents.forEach((intent, i) => {
      const node = graph.deletes.get(intent.oldKey);
      if (!node || (intent.kind !== "delete" && intent.kind !== "purge")) return;
      deleted.set(intent.oldKey, intent.meta);
      if (node.target) existed.set(intent.oldKey, existed.get(intent.oldKey) === true || results[i] === true);
    });
  }
}

/**
 * After the targets went: applies `onDelete` to referrers of anything deleted that were written
 * while the steps ran, until a sweep finds none.
 */
async function sweep(deleted: Map<string, ModelMeta>, existed: Map<string, boolean>): Promise<void> {
  for (let round = 1; round <= MAX_SWEEPS; round++) {
    const done = new Set(deleted.keys());
    const { graph, blocked } = await collectDeleteGraph(
      [...deleted].map(([key, meta]) => ({ meta, key, expected: null })),
      done,
    );
    if (blocked[0]) throw protectedError(blocked[0]);
    const plan = planDeleteSteps(graph, slotGroup, deleteSequenceHooks.limits);
    if (plan.steps.length === 0) return;
    await runSteps(plan.steps, graph, round, false, existed, deleted);
  }
  throw new PopotoError(
    "CONCURRENT_MODIFICATION",
    `new referrers kept pointing at instances being deleted through ${MAX_SWEEPS} sweeps; the delete's ` +
      `journal is kept: run the delete again, or \`npx popoto repair\`, once those writers stop.`,
  );
}

/**
 * Deletes `roots` (instances of one model) with every `onDelete` action they call for. Returns,
 * per root, whether its hash existed.
 */
export async function deleteInSteps(meta: ModelMeta, roots: readonly DeleteRoot[]): Promise<boolean[]> {
  const existed = new Map<string, boolean>();
  const deleted = new Map<string, ModelMeta>();
  // The journals are read alongside the first walk (no extra round trip in the common case).
  const [phases, first] = await Promise.all([journalPhases(roots), collectDeleteGraph(roots)]);
  let journaled = phases.some((p) => p !== "");
  // A target whose journal says only the sweep was left is gone already; a hash there now is a new
  // instance written since, which this delete must not take.
  roots.forEach((root, i) => phases[i] === "sweep" && deleted.set(root.key, root.meta));
  let current = roots.filter((_, i) => phases[i] !== "sweep");
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    try {
      const { graph, blocked } =
        attempt === 0 && current.length === roots.length ? first : await collectDeleteGraph(current);
      if (blocked[0]) throw protectedError(blocked[0]);
      const plan = planDeleteSteps(graph, slotGroup, deleteSequenceHooks.limits);
      if (plan.atomic && !journaled) {
        await runSteps(plan.steps, graph, 0, true, existed, deleted);
        return roots.map((r) => existed.get(r.key) === true);
      }
      if (!journaled) await writeJournals(roots, "steps", plan.steps.length);
      journaled = true;
      await runSteps(plan.steps, graph, 0, false, existed, deleted);
      await writeJournals(roots, "sweep");
      await sweep(deleted, existed);
      await removeJournals(roots);
      return roots.map((r) => existed.get(r.key) === true);
    } catch (error) {
      // A refused delete is over: what the steps did stays (consistent: deepest first), no resume.
      if (error instanceof ProtectedError && journaled) await removeJournals(roots);
      if (!changedUnder(error)) throw error;
      // A referrer changed between reading and writing: read everything again (steps done stay done).
      current = current.map((r) => ({ meta: r.meta, key: r.key }));
    }
  }
  throw new PopotoError(
    "CONCURRENT_MODIFICATION",
    `${meta.name}: referrers of ${roots[0]?.key ?? "?"} kept changing through ${MAX_ATTEMPTS} attempts; ` +
      `steps already applied stay applied and the journal is kept. Retry the delete, or \`npx popoto repair\`.`,
    { model: meta.name },
  );
}
