/**
 * Compares every pass with the first one at the same checkpoints: raw storage after the create and
 * reassign workloads, and the answers of the query workloads. Any difference is a failed check.
 */
import type { Redis } from "ioredis";
import { compareSnapshots, rawSnapshot, type RawSnapshot } from "./raw-snapshot.js";

export interface VerificationSummary {
  readonly checks: readonly string[];
  readonly problems: readonly string[];
}

export class Verifier {
  readonly #snapshots = new Map<string, { pass: string; snapshot: RawSnapshot }>();
  readonly #answers = new Map<string, { pass: string; answers: readonly string[] }>();
  readonly #checks: string[] = [];
  readonly #problems: string[] = [];

  /** Fingerprints the database at `checkpoint` and compares it with the first pass that got there. */
  async storage(redis: Redis, checkpoint: string, pass: string): Promise<void> {
    const snapshot = await rawSnapshot(redis);
    const reference = this.#snapshots.get(checkpoint);
    if (!reference) {
      this.#snapshots.set(checkpoint, { pass, snapshot });
      return;
    }
    const problems = compareSnapshots(reference.snapshot, snapshot);
    this.#checks.push(
      `${checkpoint}: ${pass} vs ${reference.pass}: ${snapshot.keyCount} key names, ` +
        `${snapshot.sample.size} keys' bytes compared${problems.length ? "" : ", identical"}`,
    );
    for (const problem of problems)
      this.#problems.push(`${checkpoint}, ${pass} vs ${reference.pass}: ${problem}`);
  }

  /** Compares normalized query answers with the first pass's. */
  answers(checkpoint: string, pass: string, answers: readonly string[]): void {
    const reference = this.#answers.get(checkpoint);
    if (!reference) {
      this.#answers.set(checkpoint, { pass, answers });
      return;
    }
    const differing = answers.filter((a, i) => a !== reference.answers[i]).length;
    this.#checks.push(
      `${checkpoint}: ${pass} vs ${reference.pass}: ${answers.length} answers${differing ? "" : ", equal"}`,
    );
    if (differing > 0 || answers.length !== reference.answers.length)
      this.#problems.push(`${checkpoint}, ${pass} vs ${reference.pass}: ${differing} answers differ`);
  }

  summary(): VerificationSummary {
    return { checks: [...this.#checks], problems: [...this.#problems] };
  }
}
