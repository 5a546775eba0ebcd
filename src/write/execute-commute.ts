import { getConnection, isLostReply, writeDeadlineMs } from "../connection/connection.js";
import {
  ConcurrentModificationError,
  CorruptDataError,
  RedisCommandError,
  ValidationError,
} from "../errors.js";
import { declaredModel } from "../keys/keys.js";
import { layoutOf, refreshLayout } from "../shards/layout.js";
import { bucketText, retagFirst, routeKey } from "../shards/route-write.js";
import { deletedMeanwhile } from "../errors.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import type { ModelMeta } from "../model/meta.js";
import { planCommute, type CommuteIntent } from "./plan-commute.js";

const text = (reply: ScriptReply | undefined): string =>
  Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);

/** What a commuting write did, when it did not fail for every caller alike. */
export type CommuteOutcome =
  /** The bytes now stored in the field, and those they replaced (null: none). */
  | { readonly status: "OK"; readonly bytes: Buffer; readonly before: Buffer | null }
  /** incr of a decimal stored in a form only the checked write path computes with; nothing written. */
  | { readonly status: "CHECKED" }
  /** incr: after the `index`-th delta (0-based) the sum left the field's range; nothing written. */
  | { readonly status: "RANGE"; readonly sum: string; readonly index: number };

/**
 * Runs a commuting write (`commute.lua`). It never meets a conflict, so it is sent once; a lost
 * reply is sent again only when applying it twice changes nothing (a relationship merge), while
 * an increment then fails with the ConnectionError that says its outcome is unknown. Failures
 * that concern every caller (the instance is gone, the stored value is null or corrupt, a key of
 * another type) throw; the outcomes that depend on the deltas are returned.
 */
export async function executeCommute(intent: CommuteIntent): Promise<CommuteOutcome> {
  // No guard is sent for an unsharded model, so the script never answers GUARD.
  if (intent.meta.shards <= 1) return runCommute(intent) as Promise<CommuteOutcome>;
  const deadline = Date.now() + writeDeadlineMs();
  let attempt = 0;
  for (; ; attempt++) {
    // A sharded model: the write goes to the bucket the stored layout routes it to, guarded by
    // that bucket's `$Retired` set (docs/storage.md §7a "Resharding").
    const layout = await layoutOf(intent.meta);
    const declared = declaredModel(intent.meta);
    const to = routeKey(declared, layout, intent.key, bucketText(declared, intent.key, undefined));
    if (to !== "wait") {
      const routed: CommuteIntent = {
        ...intent,
        meta: to.view,
        key: retagFirst(declared.name, intent.key, to.tag),
        retired: { set: to.guard.key, count: to.count },
      };
      const outcome = await runCommute(routed);
      if (outcome !== "GUARD") return outcome;
    } else await pause(attempt);
    if (Date.now() >= deadline) break;
    await refreshLayout(intent.meta);
  }
  throw new ConcurrentModificationError(intent.meta.name, intent.key, attempt + 1, {
    deadlineMs: writeDeadlineMs(),
  });
}

const pause = (attempt: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 2 * 2 ** attempt)));

async function runCommute(intent: CommuteIntent): Promise<CommuteOutcome | "GUARD"> {
  const call = planCommute(intent);
  const { meta, key, field } = intent;
  let reply: ScriptReply[];
  try {
    reply = (await runScript(getConnection(), scripts.commute, call.keys, call.args)) as ScriptReply[];
  } catch (error) {
    if (!isLostReply(error) || intent.op === "incr") throw error;
    reply = (await runScript(getConnection(), scripts.commute, call.keys, call.args)) as ScriptReply[];
  }
  const status = text(reply[0]);
  switch (status) {
    case "OK":
      return { status, bytes: reply[1] as Buffer, before: Buffer.isBuffer(reply[2]) ? reply[2] : null };
    case "CHECKED":
      return { status };
    case "GUARD":
      return "GUARD";
    case "RANGE":
      return { status, sum: text(reply[1]), index: Number(reply[2]) - 1 };
    case "MISSING":
      throw deletedMeanwhile(meta, key);
    case "NULL":
      throw new ValidationError(meta.name, [
        {
          field,
          expected: "a number stored in the field",
          received: "null",
          message: `${key} holds null in ${field}; atomicIncrement() needs a number there. Nothing was written`,
        },
      ]);
    case "BAD":
      throw new CorruptDataError(
        meta.name,
        key,
        field,
        intent.op === "incr" ? "the stored value is not a number" : "the stored value is not a list of keys",
      );
    case "WRONGTYPE":
      throw new RedisCommandError(
        `${text(reply[1])} holds another Redis type than popoto keeps there (written by another client?); ` +
          `nothing was written. Delete or repair that key (\`npx popoto check\` lists index problems).`,
        undefined,
      );
    default:
      throw new RedisCommandError(`commute.lua replied ${status}`, undefined);
  }
}

/** The error of an increment whose sum leaves the field's range. */
export const rangeError = (meta: ModelMeta, field: string, delta: string, sum: string): ValidationError =>
  new ValidationError(meta.name, [
    {
      field,
      expected: meta.fields.get(field)?.type === "int" ? "a safe integer" : "a finite float",
      received: sum,
      message: `adding ${delta} gives ${sum}, which the field cannot hold; nothing was written`,
    },
  ]);
