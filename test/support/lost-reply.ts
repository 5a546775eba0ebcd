/**
 * Test support: makes the server run one of popoto's commands and then drop the connection before
 * the reply is sent, deterministically, on a private redis-server.
 *
 * How: when popoto is about to send the matching command, a second client starts a busy Lua
 * script that holds the server for a moment; popoto's command is sent during it, then a third
 * client's `CLIENT KILL ID <popoto>`. When the busy script ends the server reads popoto's socket
 * first (its command runs, the reply is buffered), then the kill, which closes popoto's connection
 * with the reply unsent. ioredis then reconnects and, by default, re-sends the command.
 */
import type { Cluster, Redis } from "ioredis";
import { getConnection } from "../../src/index.js";
import type { PrivateCluster } from "./redis-cluster.js";
import type { PrivateServer } from "./redis-server.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Holds the server for `ms` milliseconds (no writes, so it is not a busy-script timeout). */
const BUSY = `local start = redis.call('TIME')
local function micros(t) return tonumber(t[1]) * 1000000 + tonumber(t[2]) end
local from = micros(start)
while micros(redis.call('TIME')) - from < tonumber(ARGV[1]) * 1000 do end
return 1`;

type Command = Parameters<Redis["sendCommand"]>[0];

type Matcher = (name: string, args: readonly unknown[]) => boolean;

/** Matches an EVALSHA (or EVAL fallback) of the script with this sha / source. */
export const scriptCall =
  (script: { readonly sha: string; readonly source: string }): Matcher =>
  (name, args) => {
    const first = args[0];
    const text = Buffer.isBuffer(first) ? first.toString() : String(first);
    return (name === "evalsha" && text === script.sha) || (name === "eval" && text === script.source);
  };

export interface LostReplies {
  /** The next command popoto sends that matches runs on the server, and its reply is lost. */
  arm(match: Matcher): void;
  /** How many replies were lost so far. */
  readonly lost: number;
  /** Restores the client's sendCommand. */
  restore(): void;
}

type Send = () => unknown;

/**
 * The loss itself: `blocker` holds the server, the command is sent during the hold, then
 * `killer`'s CLIENT KILL of connection `id` queues behind it, so the server runs the command and
 * closes the connection before writing the reply.
 */
async function killAfterRun(blocker: Redis, killer: Redis, id: string, send: Send): Promise<void> {
  const busy = blocker.eval(BUSY, 0, 150);
  await sleep(40);
  send();
  await sleep(40);
  await killer.call("CLIENT", "KILL", "ID", id);
  await busy;
}
interface Patchable {
  sendCommand(command: Command, stream?: unknown, node?: unknown): unknown;
}

/**
 * Patches `client.sendCommand` so the next command matching the armed matcher is handed to
 * `lose` (with the function that sends it) instead of going out; the handle both forms return.
 */
function interceptArmed(
  client: Patchable,
  lose: (command: Command, send: Send) => Promise<void>,
): LostReplies {
  const original = client.sendCommand.bind(client);
  let armed: Matcher | undefined;
  let lost = 0;
  client.sendCommand = (command: Command, stream?: unknown, node?: unknown): unknown => {
    const match = armed;
    if (match && match(command.name.toLowerCase(), command.args)) {
      armed = undefined;
      void lose(command, () => original(command, stream, node)).then(() => lost++);
      return command.promise;
    }
    return original(command, stream, node);
  };
  return {
    arm(match) {
      armed = match;
    },
    get lost() {
      return lost;
    },
    restore() {
      client.sendCommand = original;
    },
  };
}

/** Installs the interception on popoto's current connection (connected to `server`). */
export async function loseReplies(server: PrivateServer): Promise<LostReplies> {
  const client = getConnection() as Redis;
  const blocker = server.client();
  const killer = server.client();
  await Promise.all([blocker.ping(), killer.ping()]);
  let clientId = String(await client.call("CLIENT", "ID"));
  client.on("ready", () => {
    void client.call("CLIENT", "ID").then((id) => (clientId = String(id)));
  });
  return interceptArmed(client as unknown as Patchable, async (_command, send) => {
    await killAfterRun(blocker, killer, clientId, send);
  });
}

/**
 * Runs `hook` (e.g. stopping the server) just before popoto sends the next command that matches,
 * then sends it: for making one particular command of a multi-step operation meet a fault.
 * Resolves once the hook has run; the returned function restores the client.
 */
export function beforeNextCommand(
  match: Matcher,
  hook: (client: Redis) => Promise<void>,
): { ran: Promise<void>; restore: () => void } {
  const client = getConnection() as Redis;
  const original = client.sendCommand.bind(client);
  let done: () => void = () => undefined;
  const ran = new Promise<void>((resolve) => (done = resolve));
  let armed = true;
  client.sendCommand = ((command: Command, stream?: unknown): unknown => {
    if (armed && match(command.name.toLowerCase(), command.args)) {
      armed = false;
      void (async () => {
        await hook(client);
        original(command, stream as never);
        done();
      })();
      return command.promise;
    }
    return original(command, stream as never);
  }) as typeof client.sendCommand;
  return { ran, restore: () => (client.sendCommand = original as typeof client.sendCommand) };
}

/**
 * The same on a Redis Cluster: the next matching command popoto sends runs on the master of its
 * first key, and the connection to that master is closed before the reply is sent (the busy
 * script and the kill run on that master).
 */
export function loseClusterReplies(cluster: PrivateCluster): LostReplies {
  const client = getConnection() as Cluster;
  return interceptArmed(client as unknown as Patchable, async (command, send) => {
    // The first key names the slot, so the master (EVALSHA sha numkeys key…, HGETALL key).
    const name = command.name.toLowerCase();
    const port = await cluster.masterOf(String(command.args[name.startsWith("eval") ? 2 : 0]));
    const server = cluster.nodes.find((n) => n.port === port)?.server;
    const connection = client.nodes("master").find((n) => n.options.port === port);
    if (!server || !connection) throw new Error(`no master on port ${port}`);
    const [blocker, killer] = [server.client(), server.client()];
    const id = String(await connection.call("CLIENT", "ID"));
    await Promise.all([blocker.ping(), killer.ping()]);
    await killAfterRun(blocker, killer, id, send);
    blocker.disconnect();
    killer.disconnect();
  });
}
