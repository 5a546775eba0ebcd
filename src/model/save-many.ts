import { executeBulk, type BulkOptions } from "../write/bulk.js";
import { runPostHooks, type HookedInstance } from "./hooks.js";
import { stateOf } from "./instance-state.js";
import type { PreparedSave } from "./prepare-save.js";

/**
 * Saves many instances: every instance runs preSave and is validated before anything is written,
 * then all are written in batches of one pipeline each, every instance atomically with its index
 * entries. Each instance whose write Redis committed then runs postSave, also when a later write
 * failed (that failure is then what this throws); an instance whose write failed never does.
 */
export async function saveMany<TInstance extends HookedInstance>(
  model: string,
  instances: readonly TInstance[],
  prepare: (instance: TInstance) => Promise<PreparedSave | undefined>,
  options: BulkOptions = {},
): Promise<number> {
  const all = await Promise.all(instances.map(prepare));
  const pending = all.flatMap((prepared, i) =>
    prepared === undefined ? [] : [{ prepared, instance: instances[i] as TInstance }],
  );
  const written: number[] = [];
  let failure: unknown;
  try {
    await executeBulk(
      pending.map((p) => p.prepared.intent),
      options,
      (index) => written.push(index),
    );
  } catch (error) {
    failure = error;
  }
  const done = written.map((index) => pending[index] as (typeof pending)[number]);
  for (const { prepared } of done) prepared.commit();
  const hooked = done.map(({ instance }) => ({ instance, key: stateOf(instance).pk ?? "" }));
  if (failure !== undefined) {
    // The write's error is the one thrown (it says what was not written); the committed instances
    // still run postSave, and a hook that threw too cannot replace that error.
    await runPostHooks(model, "postSave", hooked).catch(() => undefined);
    throw failure;
  }
  await runPostHooks(model, "postSave", hooked);
  return pending.length;
}
