import type { ChainableCommander, Cluster, Redis } from "ioredis";
import { wrapRedisError } from "../connection/failures.js";
import type { LuaScript } from "./scripts.generated.js";

/** The clients a script runs on (connection.ts's RedisClient, named here so this module needs nothing of it). */
type RedisClient = Redis | Cluster;

/** A reply from a script, with bulk strings as Buffers (hash values are msgpack bytes). */
export type ScriptReply = Buffer | number | null | ScriptReply[];

export type ScriptArg = string | Buffer | number;

/**
 * True for a "script not cached" reply however it arrives: a plain ReplyError, one ioredis wraps
 * (a Cluster's "… Last error: NOSCRIPT …", a pipeline's error), or a PopotoError whose cause is one.
 * A just-promoted replica or a restarted node has an empty script cache.
 */
export const isNoScript = (error: unknown): boolean => {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (/\bNOSCRIPT\b/.test(e.message)) return true;
  return false;
};

/**
 * Runs a script by SHA1 and falls back to sending its source when the server does not have it
 * (first use, after SCRIPT FLUSH or a restart). One round trip in the common case.
 */
export async function runScript(
  redis: RedisClient,
  script: LuaScript,
  keys: readonly string[],
  args: readonly ScriptArg[],
): Promise<ScriptReply> {
  try {
    return (await redis.callBuffer("EVALSHA", script.sha, keys.length, ...keys, ...args)) as ScriptReply;
  } catch (error) {
    if (!isNoScript(error)) throw wrapRedisError(error, keys);
    // EVAL is routed by its keys like EVALSHA, so on a cluster the node that runs the script is the
    // one that caches it.
    try {
      return (await redis.callBuffer("EVAL", script.source, keys.length, ...keys, ...args)) as ScriptReply;
    } catch (second) {
      throw wrapRedisError(second, keys);
    }
  }
}

/** Queues a script on a pipeline (EVALSHA only: a NOSCRIPT reply means `loadScripts` and send again). */
export function queueScript(
  pipeline: ChainableCommander,
  script: LuaScript,
  keys: readonly string[],
  args: readonly ScriptArg[],
): void {
  pipeline.callBuffer("EVALSHA", script.sha, keys.length, ...keys, ...args);
}

/**
 * Makes sure the server has these scripts (SCRIPT LOAD), for pipelines that cannot fall back per
 * command. On a cluster, every master loads them (a script is cached per node, and a pipeline's
 * commands go to the masters of their keys).
 */
export async function loadScripts(redis: RedisClient, scripts: readonly LuaScript[]): Promise<void> {
  if ("nodes" in redis && typeof redis.nodes === "function") {
    await Promise.all(redis.nodes("master").map((node) => loadScripts(node, scripts)));
    return;
  }
  const client = redis as Redis & { script(sub: "EXISTS", ...shas: string[]): Promise<number[]> };
  const present = await client.script("EXISTS", ...scripts.map((s) => s.sha));
  await Promise.all(
    scripts
      .filter((_, i) => present[i] !== 1)
      .map((s) => (redis as RedisClientWithLoad).script("LOAD", s.source)),
  );
}

type RedisClientWithLoad = RedisClient & { script(sub: "LOAD", source: string): Promise<string> };
