/**
 * Test support for topology faults: writers that create instances in a loop through popoto while
 * the test crashes a master or migrates a slot, and the checks that follow (every acknowledged
 * write stored whole, nothing half-applied, every failure a typed PopotoError).
 */
import { expect } from "vitest";
import { IntField, KeyField, Model, SortedField, isPopotoError } from "../../src/index.js";

/** Every instance carries the same number three ways (hash field, sorted index, key), so a half-applied write shows. */
export class Entry extends Model("Entry", {
  id: KeyField(),
  seq: IntField(),
  rank: SortedField({ type: "int" }),
}) {}

export interface WriterRun {
  /** Ids whose create() resolved. */
  readonly acknowledged: string[];
  /** Ids whose outcome is unknown (a lost reply): stored whole or not at all. */
  readonly uncertain: string[];
  /** Every failure, for the typed check. */
  readonly failures: unknown[];
  /** Resolves with the number of writes acknowledged so far once at least `n` are. */
  reach(n: number): Promise<void>;
  /** Stops the writers and waits for their last write. */
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts `count` writers, each creating `Entry` `<run>-<writer>-<i>` one after another. */
export function startWriters(run: string, count = 4): WriterRun {
  const acknowledged: string[] = [];
  const uncertain: string[] = [];
  const failures: unknown[] = [];
  let stopping = false;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; !stopping; i++) {
      const id = `${run}-${w}-${i}`;
      try {
        await Entry.create({ id, seq: i, rank: i });
        acknowledged.push(id);
      } catch (error) {
        failures.push(error);
        uncertain.push(id);
        await sleep(20);
      }
    }
  };
  const done = Promise.all(Array.from({ length: count }, (_, w) => writer(w)));
  return {
    acknowledged,
    uncertain,
    failures,
    async reach(n) {
      while (acknowledged.length < n) await sleep(10);
    },
    async stop() {
      stopping = true;
      await done;
    },
  };
}

/** The checks after a fault: acknowledged writes all stored whole, indexes exact, failures typed. */
export async function expectNothingLostOrHalfApplied(run: WriterRun): Promise<void> {
  for (const error of run.failures) {
    expect(isPopotoError(error), `untyped failure: ${String(error)}`).toBe(true);
    // Never KEY_CONFLICT: every id is created once, so a conflict would be a create re-sent after
    // its reply was lost meeting its own write.
    expect(["CONNECTION", "CLUSTER"]).toContain((error as { code: string }).code);
  }
  const missing: string[] = [];
  for (const id of run.acknowledged) {
    const entry = await Entry.load({ id });
    if (entry === null) missing.push(id);
    else expect([entry.seq, entry.rank]).toEqual([Number(id.split("-")[2]), Number(id.split("-")[2])]);
  }
  expect(missing, "acknowledged writes lost").toEqual([]);
  // A write applied in part would leave a hash without its index entries, or entries without a hash.
  const report = await Entry.checkIndexes();
  expect(report.differences).toEqual([]);
  expect(report.misplaced).toEqual([]);
  const stored = report.instances;
  expect(stored).toBeGreaterThanOrEqual(run.acknowledged.length);
  expect(stored).toBeLessThanOrEqual(run.acknowledged.length + run.uncertain.length);
}
