/**
 * What else was using the machine and the Redis server: the load average and the other clients
 * connected to Redis. Both skew results, so a report states them.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import type { Redis } from "ioredis";

export interface Sharing {
  /** os.loadavg(): 1, 5 and 15 minutes. */
  readonly loadAverage: readonly number[];
  /** Clients connected to the Redis server besides the benchmark's own. */
  readonly otherRedisClients: number;
}

export interface Environment {
  readonly start: Sharing;
  readonly end: Sharing;
  /** The popoto measured: the commit, and how many files under src/ differed from it. */
  readonly source: { readonly commit: string; readonly changedSrcFiles: number };
}

/** The commit checked out and the files under src/ changed since (the run measures the working tree). */
export function sourceVersion(): Environment["source"] {
  const git = (...args: string[]): string => {
    try {
      return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "";
    }
  };
  const changed = git("status", "--porcelain", "--", "src").split("\n").filter(Boolean).length;
  return { commit: git("rev-parse", "--short", "HEAD") || "unknown", changedSrcFiles: changed };
}

export async function sharing(admin: Redis, ownClients: number): Promise<Sharing> {
  const info = await admin.info("clients");
  const connected = Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? ownClients);
  return { loadAverage: os.loadavg(), otherRedisClients: Math.max(0, connected - ownClients) };
}

export const describeSharing = (s: Sharing): string =>
  `load average ${s.loadAverage.map((x) => x.toFixed(2)).join(" ")}, ${s.otherRedisClients} other Redis clients`;
