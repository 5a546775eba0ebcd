import { PopotoError } from "../errors.js";

/**
 * How much work one query script may do. Redis runs one script at a time and nothing else while
 * it runs, so a query that would read more than `scriptBudget` members is run as a sequence of
 * scripts of bounded size instead of one long one (see README "Operations").
 */
export interface QueryLimits {
  /**
   * Most work one query script does, in index members listed, tested or visited (a loaded row
   * counts five; default 4,000: a few milliseconds of Redis time at 1M instances, see
   * docs/benchmarks.md). Larger queries continue in further scripts.
   */
  readonly scriptBudget: number;
  /**
   * Most keys plus arguments sent with one script call (default 250): `__in` lists are split, and
   * a stepped query loads at most this many rows per script.
   */
  readonly maxScriptArgs: number;
  /** Members read per command when a query runs in steps (SSCAN COUNT, ZRANGE page; default 1,000). */
  readonly chunkSize: number;
}

const DEFAULTS: QueryLimits = { scriptBudget: 4_000, maxScriptArgs: 250, chunkSize: 1_000 };
let current: QueryLimits = DEFAULTS;

/** The limits in force. */
export const queryLimits = (): QueryLimits => current;

/**
 * Changes the query limits for this process (omitted fields keep their value; `reset: true`
 * restores the defaults first). Returns the limits now in force.
 */
export function configureQueryLimits(
  limits: Partial<QueryLimits> & { readonly reset?: boolean },
): QueryLimits {
  const base = limits.reset ? DEFAULTS : current;
  const next = { ...base };
  for (const name of ["scriptBudget", "maxScriptArgs", "chunkSize"] as const) {
    const value = limits[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 10)
      throw new PopotoError(
        "QUERY",
        `configureQueryLimits: ${name} must be a whole number of at least 10, received ${String(value)}.`,
      );
    next[name] = value;
  }
  current = next;
  return current;
}
