/**
 * Runs operations with `concurrency` of them in flight (1: each awaited before the next) and
 * measures throughput, latency percentiles, Redis traffic and Node CPU per operation. A Meter can
 * add up several slices of one workload (run alternately with another subject's slices).
 */
import { performance } from "node:perf_hooks";
import type { ServerCpu } from "./server-cpu.js";
import { since, type Traffic } from "./traffic.js";

export interface OpStats {
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly roundTripsPerOp: number;
  readonly commandsPerOp: number;
  /** CPU time of this Node process per operation (user + system, GC included), in microseconds. */
  readonly cpuUsPerOp: number;
  /** CPU time of Redis's main thread per operation, in microseconds (see server-cpu.ts); NaN if not measured. */
  readonly redisCpuUsPerOp: number;
  /** Operations that threw (counted only where the workload allows failures; elsewhere one throws). */
  readonly failures: number;
  /** The first failure's message, if any. */
  readonly firstFailure?: string | undefined;
}

export type Operation = (i: number) => Promise<unknown>;

/** The q-quantile of sorted latencies (nearest rank). */
export const quantile = (sorted: Float64Array, q: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);

export class Meter {
  readonly #traffic: Traffic;
  readonly #server: ServerCpu | undefined;
  readonly #latencies: number[] = [];
  #seconds = 0;
  #roundTrips = 0;
  #commands = 0;
  #cpuUs = 0;
  #redisUs = 0;
  #failures = 0;
  #firstFailure: string | undefined;

  /** With `countFailures`, an operation that throws is counted (and timed) instead of ending the run. */
  readonly #countFailures: boolean;

  constructor(traffic: Traffic, server?: ServerCpu, countFailures = false) {
    this.#traffic = traffic;
    this.#server = server;
    this.#countFailures = countFailures;
  }

  /** Runs operations `from` to `to` (exclusive) and adds them to the totals. */
  async run(from: number, to: number, concurrency: number, op: Operation): Promise<void> {
    const latencies = new Float64Array(to - from);
    let next = from;
    const attempt = async (i: number): Promise<void> => {
      try {
        await op(i);
      } catch (error) {
        if (!this.#countFailures) throw error;
        this.#failures++;
        this.#firstFailure ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    };
    const worker = async (): Promise<void> => {
      while (next < to) {
        const i = next++;
        const start = performance.now();
        await attempt(i);
        latencies[i - from] = performance.now() - start;
      }
    };
    const redisBefore = this.#server ? await this.#server() : 0;
    const traffic = this.#traffic.count();
    const cpu = process.cpuUsage();
    const start = performance.now();
    await Promise.all(Array.from({ length: Math.min(concurrency, to - from) }, worker));
    this.#seconds += (performance.now() - start) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    const used = since(traffic, this.#traffic.count());
    if (this.#server) this.#redisUs += (await this.#server()) - redisBefore;
    this.#cpuUs += user + system;
    this.#roundTrips += used.roundTrips;
    this.#commands += used.commands;
    for (const latency of latencies) this.#latencies.push(latency);
  }

  stats(): OpStats {
    const ops = this.#latencies.length;
    const sorted = Float64Array.from(this.#latencies).sort();
    const per = (total: number): number => (ops === 0 ? 0 : total / ops);
    return {
      ops,
      seconds: this.#seconds,
      opsPerSec: this.#seconds > 0 ? ops / this.#seconds : 0,
      p50Ms: quantile(sorted, 0.5),
      p99Ms: quantile(sorted, 0.99),
      roundTripsPerOp: per(this.#roundTrips),
      commandsPerOp: per(this.#commands),
      cpuUsPerOp: per(this.#cpuUs),
      redisCpuUsPerOp: this.#server ? per(this.#redisUs) : Number.NaN,
      failures: this.#failures,
      firstFailure: this.#firstFailure,
    };
  }
}

/** `count` operations as one measurement. */
export async function runOps(
  count: number,
  concurrency: number,
  op: Operation,
  traffic: Traffic,
  countFailures = false,
): Promise<OpStats> {
  const meter = new Meter(traffic, undefined, countFailures);
  await meter.run(0, count, concurrency, op);
  return meter.stats();
}
