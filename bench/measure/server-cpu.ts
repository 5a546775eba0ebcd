/**
 * CPU time of the Redis server's main thread (INFO cpu), in microseconds. The difference over a
 * slice of operations, divided by the operations, is Redis's work per operation; it includes
 * every other client's commands, so it is exact only on a server the benchmark has to itself.
 */
import type { Redis } from "ioredis";

export type ServerCpu = () => Promise<number>;

export const serverCpu =
  (admin: Redis): ServerCpu =>
  async () => {
    const info = await admin.info("cpu");
    const field = (name: string): number =>
      Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? NaN);
    const main = field("used_cpu_sys_main_thread") + field("used_cpu_user_main_thread");
    return (Number.isNaN(main) ? field("used_cpu_sys") + field("used_cpu_user") : main) * 1e6;
  };
