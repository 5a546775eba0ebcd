/**
 * The client popoto sends its commands through, in a module of its own: `connect()` sets it, and
 * everything that sends a command (queries, writes, `WAIT` for durability) reads it here without
 * importing the connecting code.
 */
import type { Cluster, Redis } from "ioredis";
import { NotConnectedError } from "../errors.js";

/** The client popoto sends commands through: a standalone ioredis client or an ioredis Cluster. */
export type RedisClient = Redis | Cluster;

let current: RedisClient | undefined;

/** The client `connect()` made current, if any. */
export const currentClient = (): RedisClient | undefined => current;

/** Makes `client` popoto's connection (undefined: none). Only `connect()`/`disconnect()` call this. */
export function setCurrentClient(client: RedisClient | undefined): void {
  current = client;
}

/** The connected client; throws NotConnectedError before `connect()`. */
export function getConnection(): RedisClient {
  if (!current) throw new NotConnectedError();
  return current;
}

/** True when popoto writes the cluster layout (`{Model}` hash tags): on a Cluster client. */
export function isClusterMode(): boolean {
  return current !== undefined && "nodes" in current && typeof current.nodes === "function";
}
