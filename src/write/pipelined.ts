/**
 * Pipelines by slot, for bulk writes and their claims: a cluster pipeline must stay on one node,
 * and a sharded model's instances (and its claims) are in many slots, so one pipeline per slot
 * group, all sent at once (one round trip per master in wall time); on a standalone server one
 * pipeline.
 */
import { getConnection, wrapRedisError } from "../connection/connection.js";
import { slotGroup } from "../keys/keys.js";
import { isNoScript, loadScripts, queueScript, type ScriptArg } from "../scripts/run-script.js";
import type { scripts } from "../scripts/scripts.generated.js";

export type Pipeline = ReturnType<ReturnType<typeof getConnection>["pipeline"]>;

/**
 * Runs `items` as pipelines, one per slot group of `keyOf(item)` (all at once), and returns the
 * replies in the order of `items`.
 */
export async function pipelinedBySlot<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  queue: (pipeline: Pipeline, item: T) => void,
): Promise<[Error | null, unknown][]> {
  const groups = new Map<string, number[]>();
  items.forEach((item, i) => {
    const slot = slotGroup(keyOf(item));
    const group = groups.get(slot);
    if (group) group.push(i);
    else groups.set(slot, [i]);
  });
  const results = new Array<[Error | null, unknown]>(items.length);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const pipeline = getConnection().pipeline();
      for (const i of group) queue(pipeline, items[i] as T);
      let replies: [Error | null, unknown][];
      try {
        replies = (await pipeline.exec()) ?? [];
      } catch (error) {
        throw wrapRedisError(error);
      }
      group.forEach((i, j) => (results[i] = replies[j] ?? [null, null]));
    }),
  );
  return results;
}

type Script = (typeof scripts)[keyof typeof scripts];

/**
 * One call of `script` per item (its KEYS and ARGV from `call`), pipelined by the slot of its
 * first key. Calls the server refused because it does not have the script (a restart, SCRIPT
 * FLUSH: they did not run) are sent once more after loading it.
 */
export async function scriptBySlot<T>(
  script: Script,
  items: readonly T[],
  call: (item: T) => { readonly keys: readonly string[]; readonly args: readonly ScriptArg[] },
): Promise<[Error | null, unknown][]> {
  const send = (list: readonly T[]) =>
    pipelinedBySlot(
      list,
      (item) => call(item).keys[0] as string,
      (pipeline, item) => {
        const { keys, args } = call(item);
        queueScript(pipeline, script, keys, args);
      },
    );
  const results = await send(items);
  const refused = results.flatMap(([error], i) => (isNoScript(error) ? [i] : []));
  if (refused.length > 0) {
    await loadScripts(getConnection(), [script]);
    const again = await send(refused.map((i) => items[i] as T));
    refused.forEach((i, j) => (results[i] = again[j] ?? [null, null]));
  }
  return results;
}
