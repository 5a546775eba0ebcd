/**
 * Which commands popoto may send again when their reply was lost with a cluster node's connection
 * (a master crashing under them): the ones that only read. Redis's own command table says which
 * commands are read-only (@ioredis/commands, the table ioredis itself retries pipelines by); a
 * script is read-only when it is query.lua, which only reads (a write script re-sent blindly could
 * apply twice, so it is popoto's write path that decides about those).
 */
import { exists, hasFlag } from "@ioredis/commands";
import { scripts } from "../scripts/scripts.generated.js";

const text = (arg: unknown): string => (Buffer.isBuffer(arg) ? arg.toString() : String(arg));

/** True for a command that reads only, so running it again changes nothing. */
export function isReadOnlyCommand(name: string, args: readonly unknown[]): boolean {
  const command = name.toLowerCase();
  if (command === "evalsha") return text(args[0]) === scripts.query.sha;
  if (command === "eval") return text(args[0]) === scripts.query.source;
  return exists(command) && hasFlag(command, "readonly");
}
