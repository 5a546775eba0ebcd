/** The machine a run used: CPU, cores, memory, Node and Redis versions. */
import { readFile } from "node:fs/promises";
import os from "node:os";
import type { Redis } from "ioredis";

export interface Machine {
  readonly cpuModel: string;
  /** What `nproc` prints: processors available to this process. */
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly redis: string;
}

async function cpuModel(): Promise<string> {
  try {
    const info = await readFile("/proc/cpuinfo", "utf8");
    return /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? os.cpus()[0]?.model ?? "unknown";
  } catch {
    return os.cpus()[0]?.model ?? "unknown";
  }
}

export async function describeMachine(redis: Redis): Promise<Machine> {
  const info = await redis.info("server");
  return {
    cpuModel: await cpuModel(),
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown",
  };
}
