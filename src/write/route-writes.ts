/**
 * Writes of sharded models routed by the stored layout (docs/storage.md §7a "Resharding"): each
 * intent is spelled for the bucket `routeKey` picks and carries that bucket's `$Retired` guard.
 * A guard that fails means a reshard moved on since this connection read the layout: it reads the
 * record again and plans again. A write whose old bucket is being emptied right now waits (with
 * the write loop's backoff) until the mover is done with it, or until the write deadline.
 */
import { writeDeadlineMs } from "../connection/connection.js";
import { ConcurrentModificationError } from "../errors.js";
import { declaredModel } from "../keys/keys.js";
import { layoutOf, refreshLayout } from "../shards/layout.js";
import { bucketText, parentOf, routedIntent, routeKey } from "../shards/route-write.js";
import type { Guard, WriteCall, WriteIntent } from "./plan-write.js";

type Run = (
  intents: WriteIntent[],
  guards: readonly Guard[],
  applied?: { call?: WriteCall },
) => Promise<boolean[]>;

const pause = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 * 2 ** attempt)));

/** One sharded model's intent spelled for its routed bucket, with that bucket's retired guard, or "wait". */
export async function routeOne(intent: WriteIntent): Promise<{ intent: WriteIntent; guard: Guard } | "wait"> {
  const layout = await layoutOf(intent.meta);
  const declared = declaredModel(intent.meta);
  const to = routeKey(declared, layout, intent.oldKey, bucketText(declared, intent.oldKey, parentOf(intent)));
  return to === "wait" ? "wait" : { intent: routedIntent(intent, to), guard: to.guard };
}

/** The intents spelled for their routed buckets, with one retired guard per bucket, or "wait". */
async function route(
  intents: readonly WriteIntent[],
): Promise<{ intents: WriteIntent[]; guards: Guard[] } | "wait"> {
  const routed: WriteIntent[] = [];
  const guards = new Map<string, Guard>();
  for (const intent of intents) {
    if (intent.meta.shards <= 1) {
      routed.push(intent);
      continue;
    }
    const one = await routeOne(intent);
    if (one === "wait") return "wait";
    routed.push(one.intent);
    guards.set(one.guard.key, one.guard);
  }
  return { intents: routed, guards: [...guards.values()] };
}

/**
 * A bulk batch routed: each sharded model's intent spelled for its bucket with that bucket's
 * retired guard (undefined for others). Intents whose old bucket is being moved make the whole
 * batch wait (backoff, reading the record again) until the mover is past it; at the write
 * deadline, ConcurrentModificationError.
 */
export async function routeBatch(
  batch: readonly WriteIntent[],
): Promise<{ intents: WriteIntent[]; guards: (Guard | undefined)[] }> {
  if (!batch.some((intent) => intent.meta.shards > 1)) return { intents: [...batch], guards: [] };
  const deadline = Date.now() + writeDeadlineMs();
  for (let attempt = 0; ; attempt++) {
    const routes = await Promise.all(
      batch.map((intent) => (intent.meta.shards > 1 ? routeOne(intent) : undefined)),
    );
    if (!routes.includes("wait"))
      return {
        intents: batch.map((intent, i) => {
          const route = routes[i];
          return route === undefined || route === "wait" ? intent : route.intent;
        }),
        guards: routes.map((route) => (route === undefined || route === "wait" ? undefined : route.guard)),
      };
    const waiting = batch[routes.indexOf("wait")] as WriteIntent;
    if (Date.now() >= deadline)
      throw new ConcurrentModificationError(waiting.meta.name, waiting.oldKey, attempt + 1, {
        deadlineMs: writeDeadlineMs(),
      });
    await pause(attempt);
    await refreshLayout(waiting.meta);
  }
}

/**
 * Runs `run` (the checked write loop, with claims) on the intents routed by their models' stored
 * layouts. The stored states the write loop learns are copied back to the caller's intents.
 */
export async function runRouted(
  intents: WriteIntent[],
  guards: readonly Guard[],
  applied: { call?: WriteCall } | undefined,
  run: Run,
  failedGuard: (error: unknown) => number | undefined,
): Promise<boolean[]> {
  const deadline = Date.now() + writeDeadlineMs();
  let attempt = 0;
  for (; ; attempt++) {
    const routed = await route(intents);
    if (routed === "wait") {
      if (Date.now() >= deadline) break;
      await pause(attempt);
      await Promise.all(intents.filter((i) => i.meta.shards > 1).map((i) => refreshLayout(i.meta)));
      continue;
    }
    const copyBack = (): void =>
      routed.intents.forEach((copy, i) => {
        (intents[i] as WriteIntent).expected = copy.expected;
      });
    try {
      const result = await run([...routed.intents], [...guards, ...routed.guards], applied);
      copyBack();
      return result;
    } catch (error) {
      copyBack();
      const retired = (failedGuard(error) ?? 0) - guards.length - 1;
      if (retired < 0 || retired >= routed.guards.length) throw error;
      // The bucket was retired for this layout: a reshard moved on since the layout was read.
      // (Once more than once: the record may not say so yet, so back off as the write loop does.)
      if (attempt > 0) await pause(attempt);
      await Promise.all(intents.filter((i) => i.meta.shards > 1).map((i) => refreshLayout(i.meta)));
      if (Date.now() >= deadline) break;
    }
  }
  const first = intents[0];
  throw new ConcurrentModificationError(first?.meta.name ?? "?", first?.oldKey ?? "?", attempt + 1, {
    deadlineMs: writeDeadlineMs(),
  });
}
