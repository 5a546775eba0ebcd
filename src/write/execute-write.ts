/**
 * Sends planned writes to Redis and settles them: the per-key queue (one script in flight per key
 * and process, so each write is planned from the previous one's result), the retry loop on a moved
 * stored state until the write deadline, and the replies (uniqueness, key conflicts, lost replies
 * replayed). Over 300 lines because the queue, the retry loop and the reply handling share one
 * state machine per write; the save and delete intents at the end are its two small entry points.
 */
import { getConnection, isLostReply, wrapRedisError, writeDeadlineMs } from "../connection/connection.js";
import { awaitReplicas } from "../connection/durability.js";
import {
  ConcurrentModificationError,
  ConnectionError,
  KeyConflictError,
  RedisCommandError,
  UniqueViolationError,
} from "../errors.js";
import { indexValuesHash } from "../keys/keys.js";
import { decodeValue, encodeHash, snapshotOf, valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import { computeKey } from "../model/values.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { noteFingerprints, withFingerprints } from "./schema-section.js";
import { enqueue, latestState, noteState, type Settled } from "./key-queue.js";
import { mergeableSave, mergeDirtySaves } from "./plan-save.js";
import { storedAsWritten } from "./replay-check.js";
import { scripts } from "../scripts/scripts.generated.js";
import { indexEntries, uniqueSets } from "./index-entries.js";
import { needsClaims } from "./claims.js";
import { runClaimed } from "./execute-claimed.js";
import { runRouted } from "./route-writes.js";
import {
  checkedFields,
  planWrites,
  type Guard,
  type SaveContent,
  type Snapshot,
  type WriteCall,
  type WriteIntent,
  plannedKind,
  shadowSnapshots,
} from "./plan-write.js";

/**
 * Pause before attempt `attempt` (1-based) after the stored state moved under a write: none for
 * the first retry (usually this copy was just out of date), then "full jitter" exponential backoff
 * (random 0..min(100, 2 * 2^attempt) ms), so writers racing from several processes spread out.
 */
const backOff = (attempt: number): Promise<void> | undefined =>
  attempt < 2
    ? undefined
    : new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 * 2 ** attempt)));

const text = (reply: ScriptReply | undefined): string =>
  Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);

/** True when a stored state came from the ttl shadow of an expired instance, not from its hash. */
export const isShadowSnapshot = (snapshot: Snapshot): boolean =>
  snapshot !== null && shadowSnapshots.has(snapshot);

const snapshotFromStale = (intent: WriteIntent, reply: readonly ScriptReply[]): Snapshot => {
  if (text(reply[2]) === "") return null;
  const snapshot = new Map<string, Buffer | undefined>(
    checkedFields(intent).map((name, i) => {
      const bytes = reply[i + 3];
      return [name, Buffer.isBuffer(bytes) && bytes.length > 0 ? bytes : undefined];
    }),
  );
  // Values read from a ttl shadow describe an instance whose hash expired: it does not exist.
  if (text(reply[2]) === "S") shadowSnapshots.add(snapshot);
  return snapshot;
};

/**
 * After a lost reply: whether the state the script found is the one this write produces, i.e. the
 * write ran the first time. A delete or a key move leaves nothing at the old key; a save in place
 * leaves exactly its own bytes in every checked field.
 */
function appliedAlready(intent: WriteIntent, reply: readonly ScriptReply[], newKey: string): boolean {
  const stored = snapshotFromStale(intent, reply);
  const kind = plannedKind(intent);
  if ((kind !== "save" && kind !== "update") || newKey !== intent.oldKey) return stored === null;
  if (stored === null || !intent.build) return false;
  const written = new Map(intent.build(intent.expected).hash);
  return checkedFields(intent).every((field) => {
    const mine = written.get(field) ?? intent.expected?.get(field);
    const theirs = stored.get(field);
    return mine === undefined ? theirs === undefined : theirs !== undefined && mine.equals(theirs);
  });
}

/**
 * One instance's write, after the writes to the same key this process queued before it, planned
 * from the state they left (src/write/key-queue.ts). Dirty saves of one row queued behind each
 * other are merged into one write (`mergeDirtySaves`); if that write fails, each runs alone, so
 * an error (a unique value taken, say) fails only the saves it concerns. Returns whether the
 * instance's hash existed.
 */
export function executeQueued(intent: WriteIntent): Promise<boolean> {
  return enqueue(intent.oldKey, mergeableSave(intent) ? "save" : undefined, intent, runQueuedBatch);
}

const settle = async <R>(write: () => Promise<R>): Promise<Settled<R>> => {
  try {
    return { ok: true, value: await write() };
  } catch (error) {
    return { ok: false, error };
  }
};

async function runQueuedBatch(intents: WriteIntent[]): Promise<Settled<boolean>[]> {
  if (intents.length > 1) {
    const merged = await settle(() => runQueued(mergeDirtySaves(intents)));
    // A lost reply leaves the outcome unknown for all of them: never send them again one by one.
    if (merged.ok || merged.error instanceof ConnectionError) return intents.map(() => merged);
  }
  const outcomes: Settled<boolean>[] = [];
  for (const intent of intents) outcomes.push(await settle(() => runQueued(intent)));
  return outcomes;
}

async function runQueued(intent: WriteIntent): Promise<boolean> {
  const known = latestState(intent.oldKey);
  if (known && intent.expected !== null && !intent.ifUnchanged && !intent.createOnly) {
    const expected = new Map(intent.expected);
    for (const name of checkedFields(intent)) if (known.has(name)) expected.set(name, known.get(name));
    intent.expected = expected;
  }
  const applied: { call?: WriteCall } = {};
  const [existed] = await executeWrites([intent], [], applied);
  const content = applied.call?.contents[0];
  if (content && content.newKey === intent.oldKey && intent.expected !== null) {
    const state = new Map(known ?? []);
    for (const [name, bytes] of intent.expected) state.set(name, bytes);
    for (const [name, bytes] of content.hash) state.set(name, bytes);
    noteState(intent.oldKey, state);
  } else noteState(intent.oldKey, undefined);
  return existed === true;
}

/** A create-only write found an instance already stored at its key; nothing was written. */
export class AlreadyExists extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`${key} already exists`);
    this.key = key;
  }
}

/** A guarded set changed between planning and writing: the caller must plan from scratch. */
export class GuardChanged extends Error {
  readonly guard: number;
  readonly member: string;
  constructor(guard: number, member: string) {
    super("guarded set changed");
    this.guard = guard;
    this.member = member;
  }
}

/**
 * Runs intents as one atomic `write.lua` call, planning again (with the stored state the script
 * reports) until every assumption holds. Returns, per intent, whether its stored hash existed.
 * `mover`: a reshard's copy or removal (src/shards/reshard.ts), spelled for a layout view: it
 * takes and releases no claim (the mover re-points them itself).
 */
export async function executeWrites(
  intents: WriteIntent[],
  guards: readonly Guard[] = [],
  applied?: { call?: WriteCall },
  options?: WriteOptions,
): Promise<boolean[]> {
  // The reshard mover: intents spelled for a layout view already; no routing, guard or claim.
  if (options?.mover) return runWrites(intents, guards, applied);
  if (intents.some((intent) => intent.meta.shards > 1))
    return runRouted(intents, guards, applied, runChecked, (error) =>
      error instanceof GuardChanged ? error.guard : undefined,
    );
  return runChecked(intents, guards, applied);
}

/** How `executeWrites` runs. */
export interface WriteOptions {
  /**
   * A write of the reshard mover (src/shards/reshard.ts): its intents are spelled for a layout view
   * (`layoutView`) and are sent as they are: not routed by the stored layout, without the
   * `$Retired` guard, and without taking or releasing unique-value claims (the mover swaps them).
   */
  readonly mover?: boolean | undefined;
}

/** `executeWrites` after routing: the write loop, with claims for a sharded model's unique values. */
async function runChecked(
  intents: WriteIntent[],
  guards: readonly Guard[] = [],
  applied?: { call?: WriteCall },
): Promise<boolean[]> {
  if (!intents.some((intent) => needsClaims(intent.meta))) return runWrites(intents, guards, applied);
  // A sharded model's unique values: claims taken before the write, released after it.
  const record = applied ?? {};
  return runClaimed(intents, record, {
    run: (fences, needed) => runWrites(intents, [...guards, ...fences], record, needed),
    fenceIndex: (error) =>
      error instanceof GuardChanged && error.guard > guards.length
        ? error.guard - guards.length - 1
        : undefined,
    contested: contestedValue,
  });
}

/**
 * The write loop of `executeWrites`. With `needed`, each plan is first shown to it, which throws
 * when the plan adds a value whose claim the write does not hold yet.
 */
async function runWrites(
  intents: WriteIntent[],
  guards: readonly Guard[],
  applied?: { call?: WriteCall },
  needed?: (call: WriteCall) => void,
): Promise<boolean[]> {
  const redis = getConnection();
  // Set when a reply was lost: the write may have run, so the next STALE may be our own write.
  let uncertain = false;
  const deadlineMs = writeDeadlineMs();
  const deadline = Date.now() + deadlineMs;
  let attempt = 0;
  for (; attempt === 0 || Date.now() < deadline; attempt++) {
    if (!uncertain) await backOff(attempt);
    const call = planWrites(intents, guards);
    needed?.(call);
    const sent = withFingerprints(call, intents);
    let reply: ScriptReply[];
    try {
      reply = (await runScript(redis, scripts.write, sent.keys, sent.args)) as ScriptReply[];
    } catch (error) {
      // The connection closed before the reply came: send the same write again. If the first one
      // ran, the script now finds the state it wrote and says STALE, which tells us it applied.
      if (isLostReply(error) && !uncertain) {
        uncertain = true;
        continue;
      }
      throw error;
    }
    const status = text(reply[0]);
    if (status === "STALE" && uncertain) {
      const index = Number(reply[1]) - 1;
      const intent = intents[index] as WriteIntent;
      const content = call.contents[index];
      if (
        appliedAlready(intent, reply, call.newKeys[index] as string) &&
        (content === undefined || (await storedAsWritten(content, intent.expected === null)))
      )
        return intents.map(() => true);
    }
    uncertain = false;
    if (status === "OK") {
      if (applied) applied.call = call;
      noteFingerprints(sent.models, reply[intents.length + 2]);
      // Expired instances that still held a unique value this write took: remove their leftovers.
      const dead = reply[intents.length + 1];
      if (Array.isArray(dead) && dead.length > 0)
        await Promise.all(
          dead.map((pair) => {
            const [w, key] = pair as ScriptReply[];
            return purgeKey((intents[Number(w) - 1] as WriteIntent).meta, text(key));
          }),
        );
      // connect({ waitReplicas }): the write's keys share one master (one slot on a cluster).
      await awaitReplicas(call.keys[0] as string, intents[0]?.meta.name ?? "?");
      return intents.map((_, i) => reply[i + 1] === 1);
    }
    if (status === "GUARD") throw new GuardChanged(Number(reply[1]), text(reply[2]));
    if (status === "WRONGTYPE")
      throw new RedisCommandError(
        `${text(reply[1])} holds another Redis type than popoto keeps there (written by another client?); ` +
          `nothing was written. Delete or repair that key (\`npx popoto check\` lists index problems).`,
        undefined,
      );
    const index = Number(reply[1]) - 1;
    const intent = intents[index] as WriteIntent;
    switch (status) {
      case "STALE":
        // getOrCreate: someone else created the instance first; the caller loads theirs.
        if (intent.createOnly && text(reply[2]) === "H") throw new AlreadyExists(intent.oldKey);
        // Optimistic locking on request: the copy is stale, so nothing is written.
        if (intent.ifUnchanged)
          throw new ConcurrentModificationError(intent.meta.name, intent.oldKey, 1, { staleCopy: true });
        intent.expected = snapshotFromStale(intent, reply);
        break;
      case "LIVE":
        // A purge found the instance alive again: nothing of it is a leftover.
        intents.splice(index, 1);
        if (intents.length === 0) return [];
        break;
      case "UNIQUE": {
        const field = call.uniqueFields[index]?.[Number(reply[2]) - 1] as string;
        const holder = text(reply[3]);
        // write.lua only names a holder whose hash exists (an expired instance's leftover holds nothing).
        // A unique composite index is labelled by its fields joined with "+": its value is theirs.
        const value = field.includes("+")
          ? field.split("+").map((name) => contestedValue(intent, name))
          : contestedValue(intent, field);
        throw new UniqueViolationError(intent.meta.name, field, value, holder);
      }
      case "CONFLICT":
        throw new KeyConflictError(intent.meta.name, intent.oldKey, call.newKeys[index] as string);
      case "PURGE":
        await purgeKey(intent.meta, text(reply[2]));
        break;
      default:
        throw new Error(`popoto: unexpected reply from write.lua: ${status}`);
    }
  }
  throw new ConcurrentModificationError(intents[0]?.meta.name ?? "?", intents[0]?.oldKey ?? "?", attempt, {
    deadlineMs,
  });
}

// The contested value, for the error message: parsed back from the holder's key when possible.
// The contested value, for the error message: what the write stores in the field (a partial
// write that does not list it keeps the stored value).
const contestedValue = (intent: WriteIntent, field: string): unknown => {
  const written = intent.build?.(intent.expected).hash.find(([name]) => name === field)?.[1];
  const bytes = written ?? intent.expected?.get(field);
  try {
    return bytes === undefined ? undefined : decodeValue(intent.meta, intent.oldKey, field, bytes);
  } catch {
    return undefined;
  }
};

/** What a full save of canonical `values` writes: every field and every index entry. */
export function saveContent(meta: ModelMeta, values: ReadonlyMap<string, unknown>): SaveContent {
  const newKey = computeKey(meta, values);
  return {
    newKey,
    hash: encodeHash(meta, values),
    newEntries: indexEntries(meta, newKey, values),
    unique: uniqueSets(meta, values, newKey),
  };
}

export interface SaveResult {
  readonly key: string;
  readonly snapshot: Snapshot;
  /** Every field's bytes as now stored, when the write knows them all (dirty tracking). */
  readonly stored?: Map<string, Buffer> | undefined;
}

/** A full save as a write intent, with the state the instance has once it succeeds. */
export function saveIntent(
  meta: ModelMeta,
  values: ReadonlyMap<string, unknown>,
  pk: string | undefined,
  expected: Snapshot | undefined,
  createOnly = false,
): { intent: WriteIntent; result: SaveResult } {
  const content = saveContent(meta, values);
  return {
    intent: {
      meta,
      kind: "save",
      oldKey: pk ?? content.newKey,
      expected: expected ?? null,
      build: () => content,
      createOnly,
    },
    result: (() => {
      const stored = new Map(content.hash);
      return { key: content.newKey, snapshot: snapshotOf(meta, stored), stored };
    })(),
  };
}

/** Deletes the instance at `key` and every index entry of its stored values; true if it existed. */
export async function deleteInstance(
  meta: ModelMeta,
  key: string,
  expected: Snapshot | undefined,
): Promise<boolean> {
  const [existed] = await executeWrites([{ meta, kind: "delete", oldKey: key, expected: expected ?? null }]);
  return existed === true;
}

/**
 * Removes the index entries left by an instance whose hash is gone (expired by its ttl, or deleted
 * by a client that does not keep popoto's indexes). Entries come from the ttl shadow when there is
 * one, else from what the key itself says (class set, key-field sets). Returns true when it ran.
 */
export async function purgeKey(meta: ModelMeta, key: string): Promise<boolean> {
  const redis = getConnection();
  let shadow: Snapshot = null;
  if (meta.expiring) {
    let flat: Record<string, Buffer>;
    try {
      flat = (await redis.hgetallBuffer(indexValuesHash(meta, key))) as unknown as Record<string, Buffer>;
    } catch (error) {
      throw wrapRedisError(error);
    }
    const stored = new Map(Object.entries(flat));
    if (stored.size > 0) shadow = snapshotOf(meta, stored);
  }
  const result = await executeWrites([
    {
      meta,
      kind: "purge",
      oldKey: key,
      expected: shadow,
      fallbackEntries: indexEntries(meta, key, valuesFromKey(meta, key)),
    },
  ]);
  return result.length > 0;
}
