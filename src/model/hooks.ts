/**
 * Running the post-hooks (`postSave`, `postDelete`) of instances whose write Redis committed.
 * Pre-hooks need no helper: they are awaited before planning, so a throw simply propagates and
 * nothing is sent. A post-hook's throw cannot undo the write, so it becomes a HookError that says
 * the write stands.
 */
import { HookError, type PostHook } from "../errors.js";

/** An instance as the hook runner sees it: the two post-hooks every model instance has. */
export interface HookedInstance {
  postSave(): void | Promise<void>;
  postDelete(): void | Promise<void>;
}

/**
 * Runs `hook` on every instance (concurrently, as the bulk operations run `preSave`), waits for
 * all of them, and throws a HookError for the first one that threw; the others still ran.
 */
export async function runPostHooks(
  model: string,
  hook: PostHook,
  done: readonly { readonly instance: HookedInstance; readonly key: string }[],
): Promise<void> {
  const results = await Promise.allSettled(done.map(async ({ instance }) => instance[hook]()));
  const failed = results.findIndex((result) => result.status === "rejected");
  if (failed === -1) return;
  const reason = (results[failed] as PromiseRejectedResult).reason as unknown;
  throw new HookError(model, hook, (done[failed] as { key: string }).key, reason);
}
