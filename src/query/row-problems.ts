/**
 * Row problems: rows a query met but did not return because what Redis holds disagrees with
 * itself. Today that is drift: an index entry says a row matches the filter, the row's stored
 * values say it does not (an entry another client left behind, such as Python Popoto 0.8.3 after a
 * relationship reassignment). A general channel, so other checks (for example rows that do not
 * decode) can report here too.
 *
 * Listeners registered with `onRowProblem` receive every problem; with none, each problem is a
 * Node process warning (code `POPOTO_ROW_PROBLEM`), so nothing is dropped silently.
 */

/** One row a query left out, and why. */
export interface RowProblem {
  /** `drift`: an index names the row for the filter, its stored values do not match it. */
  readonly kind: "drift";
  readonly model: string;
  /** The instance key of the row. */
  readonly key: string;
  /** The field whose stored value contradicts the index. */
  readonly field: string;
  /** What was found and what to do about it. */
  readonly message: string;
}

export type RowProblemListener = (problem: RowProblem) => void;

const listeners = new Set<RowProblemListener>();

/**
 * Calls `listener` for every row problem a query meets (in this process); returns the function
 * that stops it. @example const stop = onRowProblem((p) => log.warn(p.message))
 */
export function onRowProblem(listener: RowProblemListener): () => void {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

/** @internal Hands a problem to the listeners, or to a process warning when there are none. */
export function reportRowProblem(problem: RowProblem): void {
  if (listeners.size === 0) {
    process.emitWarning(problem.message, { code: "POPOTO_ROW_PROBLEM" });
    return;
  }
  for (const listener of listeners) {
    try {
      listener(problem);
    } catch {
      // A failing listener must not fail the query that reported the problem.
    }
  }
}
