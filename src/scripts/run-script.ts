import type { ChainableCommander } from "ioredis";
import { wrapRedisError, type RedisClient } from "../connection/connection.js";
import type { LuaScript } from "./scripts.generated.js";

/** A reply from a script, with bulk strings as Buffers (hash values are msgpack bytes). */
export type ScriptReply = Buffer | number | null | ScriptReply[];

export type ScriptArg = string | Buffer | number;

export const isNoScript = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith("NOSCRIPT");

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
    if (!isNoScript(error)) throw wrapRedisError(error);
    try {
      return (await redis.callBuffer("EVAL", script.source, keys.length, ...keys, ...args)) as ScriptReply;
    } catch (second) {
      throw wrapRedisError(second);
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

/** Makes sure the server has these scripts (SCRIPT LOAD), for pipelines that cannot fall back per command. */
export async function loadScripts(redis: RedisClient, scripts: readonly LuaScript[]): Promise<void> {
  const client = redis as RedisClient & { script(sub: "EXISTS", ...shas: string[]): Promise<number[]> };
  const present = await client.script("EXISTS", ...scripts.map((s) => s.sha));
  await Promise.all(
    scripts
      .filter((_, i) => present[i] !== 1)
      .map((s) => (redis as RedisClientWithLoad).script("LOAD", s.source)),
  );
}

type RedisClientWithLoad = RedisClient & { script(sub: "LOAD", source: string): Promise<string> };
