/**
 * Recognising the errors of a Redis Cluster changing under a command: slot redirections (MOVED,
 * ASK), a slot mid-migration (TRYAGAIN), a cluster without quorum or with unserved slots
 * (CLUSTERDOWN), and ioredis giving up after its redirections (a crashed master's slots are
 * redirected until a replica takes over). ioredis retries these itself; popoto sees them only once
 * its bounded retries are spent, and turns them into a ClusterError.
 */
import { ClusterError, clause } from "../errors.js";

const TOPOLOGY =
  /^(?:MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b|Too many Cluster redirections|Cluster isn't ready|Failed to refresh slots cache|None of startup nodes is available/;

/** True for an error that says the cluster's topology is changing or not serving a slot. */
export const isTopologyError = (error: Error): boolean => TOPOLOGY.test(error.message);

/** The ClusterError for a topology error, naming the keys involved when known. */
export function clusterError(error: Error, keys: readonly string[] = []): ClusterError {
  const about = keys.length > 0 ? ` on ${keys.slice(0, 3).join(", ")}${keys.length > 3 ? ", …" : ""}` : "";
  return new ClusterError(
    `The Redis Cluster did not serve the command${about} within popoto's retry window (a failover or ` +
      `slot migration that lasted too long, or slots no master serves): ${clause(error.message)}. The command did ` +
      `not run. Check the cluster (redis-cli --cluster check <host:port>), then retry; raise ` +
      `connect({ clusterRetryMs }) to ride out longer failovers.`,
    error,
    keys,
  );
}
