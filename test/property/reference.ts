/**
 * The in-memory reference the property tests compare popoto with: every model's rows by instance
 * key, and what each client operation must do to them (written from the documented behaviour in
 * README.md and docs/storage.md, not from popoto's code).
 */
import {
  keyOf,
  MODEL_NAMES,
  RELATIONSHIPS,
  UNIQUE_FIELD,
  type CopyView,
  type ModelName,
  type Op,
  type Outcome,
  type Row,
} from "../support/property-models.js";

/** Rows by instance key, per model. */
export type State = Record<ModelName, Map<string, Row>>;

export const emptyState = (): State => ({ PropAuthor: new Map(), PropBook: new Map(), PropVisit: new Map() });

export const cloneState = (state: State): State => ({
  PropAuthor: new Map([...state.PropAuthor].map(([k, v]) => [k, { ...v }])),
  PropBook: new Map([...state.PropBook].map(([k, v]) => [k, { ...v }])),
  PropVisit: new Map([...state.PropVisit].map(([k, v]) => [k, { ...v }])),
});

/** A canonical plain form (keys sorted) for comparisons and messages. */
export const plainState = (state: State): Record<ModelName, Record<string, Row>> =>
  Object.fromEntries(
    MODEL_NAMES.map((model) => [
      model,
      Object.fromEntries(
        [...state[model]]
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([k, row]) => [k, Object.fromEntries(Object.entries(row).sort())]),
      ),
    ]),
  ) as Record<ModelName, Record<string, Row>>;

export const sameState = (a: State, b: State): boolean =>
  JSON.stringify(plainState(a)) === JSON.stringify(plainState(b));

/** What the reference expects an operation to report. `code` alone for a failure. */
export type Expected =
  | { readonly ok: true; existed?: boolean; value?: number; loaded?: Row | null; key?: string }
  | { readonly ok: false; readonly code: string };

/** Whether an observed outcome is the expected one. */
export const outcomeMatches = (expected: Expected, observed: Outcome): boolean => {
  if (expected.ok !== observed.ok) return false;
  if (!expected.ok || !observed.ok) return !expected.ok && !observed.ok && expected.code === observed.code;
  if (expected.existed !== undefined && expected.existed !== observed.existed) return false;
  if (expected.value !== undefined && expected.value !== observed.value) return false;
  if (expected.key !== undefined && expected.key !== observed.key) return false;
  if (
    expected.loaded !== undefined &&
    JSON.stringify(sortRow(expected.loaded)) !== JSON.stringify(sortRow(observed.loaded ?? null))
  )
    return false;
  return true;
};

const sortRow = (row: Row | null): Row | null =>
  row === null ? null : Object.fromEntries(Object.entries(row).sort());

/** The instance (other than `except`) that holds the model's unique value of `values`, if any. */
export const uniqueHolder = (
  state: State,
  model: ModelName,
  values: Row,
  except: readonly string[],
): string | undefined => {
  const field = UNIQUE_FIELD[model];
  const value = values[field];
  if (value === null || value === undefined) return undefined;
  for (const [key, row] of state[model]) if (!except.includes(key) && row[field] === value) return key;
  return undefined;
};

/**
 * Stores `values` in place of the instance at `oldKey`: at the key the values make, moving the
 * instance when that differs. A move onto an existing instance is a KeyConflictError, a value
 * another instance holds in a unique field a UniqueViolationError; either writes nothing.
 */
function write(state: State, model: ModelName, oldKey: string, values: Row): Expected {
  const newKey = keyOf(model, values);
  if (oldKey !== newKey && state[model].has(newKey)) return { ok: false, code: "KEY_CONFLICT" };
  if (uniqueHolder(state, model, values, [oldKey, newKey]) !== undefined)
    return { ok: false, code: "UNIQUE_VIOLATION" };
  if (oldKey !== newKey) state[model].delete(oldKey);
  state[model].set(newKey, { ...values });
  return { ok: true, key: newKey };
}

/**
 * Deletes the instance at `key` (whether or not it exists) and applies the onDelete of every
 * relationship pointing at that key: cascade deletes the referrers (recursively), setNull clears
 * the field. A referrer reached both ways is deleted.
 */
export function deleteCascading(state: State, model: ModelName, key: string): void {
  state[model].delete(key);
  const incoming = MODEL_NAMES.flatMap((referrer) =>
    Object.entries(RELATIONSHIPS[referrer])
      .filter(([, r]) => r.target === model)
      .map(([field, r]) => ({ referrer, field, onDelete: r.onDelete })),
  );
  for (const { referrer, field } of incoming.filter((r) => r.onDelete === "cascade"))
    for (const [k, row] of [...state[referrer]]) if (row[field] === key) deleteCascading(state, referrer, k);
  for (const { referrer, field } of incoming.filter((r) => r.onDelete === "setNull"))
    for (const row of state[referrer].values()) if (row[field] === key) row[field] = null;
}

/**
 * Applies one client operation to `state` (in place) as popoto must, given the client's copy of
 * the instance before the operation, and returns what the operation must report.
 */
export function applyOp(state: State, op: Op, copy: CopyView | undefined): Expected {
  const rows = state[op.model];
  switch (op.kind) {
    case "create":
      return write(state, op.model, keyOf(op.model, op.values), op.values);
    case "load": {
      const row = rows.get(op.key);
      return { ok: true, loaded: row ? { ...row } : null };
    }
    case "save": {
      if (!copy) throw new Error("save without a copy");
      const values = { ...copy.values, ...op.changes };
      // A copy that was never stored (or was deleted) saves in full, partial or not.
      if (copy.pk === undefined || (op.fields === null && copy.known === undefined))
        return write(state, op.model, copy.pk ?? keyOf(op.model, values), values);
      const stored = rows.get(copy.pk);
      if (op.fields === null) {
        // A full save writes the fields whose value differs from what the copy last loaded or
        // saved; when the instance is gone (deleted, expired) it writes them all again.
        if (!stored) return write(state, op.model, copy.pk, values);
        const known = copy.known as Row;
        const next = { ...stored };
        for (const [field, value] of Object.entries(values))
          if (JSON.stringify(value) !== JSON.stringify(known[field] ?? null)) next[field] = value;
        return write(state, op.model, copy.pk, next);
      }
      if (!stored) return { ok: false, code: "NOT_SAVED" };
      const next = { ...stored };
      for (const field of op.fields) next[field] = values[field] ?? null;
      return write(state, op.model, copy.pk, next);
    }
    case "incr": {
      if (!copy) throw new Error("incr without a copy");
      const stored = copy.pk === undefined ? undefined : rows.get(copy.pk);
      if (!stored) return { ok: false, code: "NOT_SAVED" };
      const value = Number(stored[op.field]) + op.delta;
      stored[op.field] = value;
      return { ok: true, value };
    }
    case "delete": {
      if (!copy) throw new Error("delete without a copy");
      const key = copy.pk ?? keyOf(op.model, copy.values);
      const existed = rows.has(key);
      deleteCascading(state, op.model, key);
      return { ok: true, existed };
    }
  }
}
