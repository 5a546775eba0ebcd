/**
 * Optional durability: after each write, Redis's `WAIT` for a number of replicas to acknowledge
 * it. Redis replicates asynchronously, so without it a write the master acknowledged can be lost
 * if the master fails before a replica received it. `WAIT` does not make the write synchronous
 * (a write may still be lost if every replica that got it fails too); it tells the caller when
 * fewer replicas than asked for hold it.
 */
import { ConnectionError, NotReplicatedError } from "../errors.js";
import { getConnection } from "./current.js";
import { wrapRedisError } from "./failures.js";

/** What `connect({ waitReplicas, waitTimeoutMs })` asked for. */
export interface Durability {
  readonly replicas: number;
  readonly timeoutMs: number;
}

let durability: Durability | undefined;

/** Sets (or, with 0 / undefined replicas, clears) the durability every write waits for. */
export function setDurability(replicas: number | undefined, timeoutMs = 1000): void {
  if (replicas !== undefined && (!Number.isSafeInteger(replicas) || replicas < 0))
    throw new ConnectionError(
      `connect(): waitReplicas must be a whole number ≥ 0, received ${replicas}.`,
      undefined,
    );
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0)
    throw new ConnectionError(
      `connect(): waitTimeoutMs must be a whole number of milliseconds > 0, received ${timeoutMs}.`,
      undefined,
    );
  durability = replicas ? { replicas, timeoutMs } : undefined;
}

/**
 * After a write that changed `key`: waits for the configured replicas (no-op without
 * `waitReplicas`). `WAIT` counts the acknowledgements of the connection's latest write, so it is
 * sent on the connection to the master that holds `key` (on a cluster, routed by a read of it).
 * Throws NotReplicatedError when fewer replicas acknowledged in time; the write itself applied.
 */
export async function awaitReplicas(key: string, model: string): Promise<void> {
  if (!durability) return;
  const { replicas, timeoutMs } = durability;
  let acknowledged: number;
  try {
    const results = await getConnection().pipeline().exists(key).call("WAIT", replicas, timeoutMs).exec();
    const [error, reply] = results?.[1] ?? [null, 0];
    if (error) throw error;
    acknowledged = Number(reply);
  } catch (error) {
    throw wrapRedisError(error, [key]);
  }
  if (acknowledged < replicas)
    throw new NotReplicatedError(
      `${model}: the write to ${key} was applied on the master, but only ${acknowledged} of ${replicas} ` +
        `replica${replicas === 1 ? "" : "s"} acknowledged it within ${timeoutMs} ms (connect({ waitReplicas })). ` +
        `It is lost if the master fails before a replica copies it: check the replicas ` +
        `(INFO replication), or write again once they are back.`,
      acknowledged,
      replicas,
      model,
    );
}
