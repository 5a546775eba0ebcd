import { getConnection, isLostReply } from "../connection/connection.js";
import { CorruptDataError, RedisCommandError, ValidationError } from "../errors.js";
import { deletedMeanwhile } from "../errors.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { planCommute, type CommuteIntent } from "./plan-commute.js";

const text = (reply: ScriptReply | undefined): string =>
  Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);

/**
 * Runs a commuting write (`commute.lua`) and returns the bytes it stored. It never meets a
 * conflict, so it is sent once; a lost reply is sent again only when applying it twice changes
 * nothing (a relationship merge), while an increment then fails with the ConnectionError that
 * says its outcome is unknown.
 */
export async function executeCommute(intent: CommuteIntent): Promise<Buffer> {
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
      return reply[1] as Buffer;
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
    case "RANGE":
      throw new ValidationError(meta.name, [
        {
          field,
          expected: meta.fields.get(field)?.type === "int" ? "a safe integer" : "a finite float",
          received: text(reply[1]),
          message: `adding ${String((intent as { delta?: number }).delta)} gives ${text(reply[1])}, which the field cannot hold; nothing was written`,
        },
      ]);
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
