/**
 * A write of sharded instances that adds or drops unique values (src/write/claims.ts): the claims
 * of the values it adds are taken before it, and it runs guarded by their fences; a plan that
 * needs a claim not held yet, or a fence found set (the claim was taken away), takes claims again
 * and plans again. After it, the claims of the values it dropped are released; if it fails, the
 * claims it took are.
 */
import { ConcurrentModificationError, UniqueViolationError } from "../errors.js";
import { writeDeadlineMs } from "../connection/connection.js";
import { claimsOf, fenceGuards, releaseClaim, releasedBy, takeClaim, type HeldClaim } from "./claims.js";
import type { Guard, WriteCall, WriteIntent } from "./plan-write.js";

/** A plan adds values whose claims the write does not hold: take them, then plan again. */
class ClaimsNeeded extends Error {
  readonly missing: readonly {
    readonly w: number;
    readonly label: string;
    readonly set: string;
    readonly key: string;
  }[];
  constructor(missing: ClaimsNeeded["missing"]) {
    super("popoto internal: claims needed");
    this.missing = missing;
  }
}

/** What the claim driver needs of the write loop (src/write/execute-write.ts). */
export interface ClaimedRunner {
  /** Runs the write with these fence guards after the caller's, showing each plan to `needed`. */
  readonly run: (fences: Guard[], needed: (call: WriteCall) => void) => Promise<boolean[]>;
  /** For a failed guard that is one of the fences: its position among them. */
  readonly fenceIndex: (error: unknown) => number | undefined;
  /** The value a write stores in a unique field (or index), for the error naming it. */
  readonly contested: (intent: WriteIntent, field: string) => unknown;
}

export async function runClaimed(
  intents: readonly WriteIntent[],
  applied: { call?: WriteCall },
  runner: ClaimedRunner,
): Promise<boolean[]> {
  const deadlineMs = writeDeadlineMs();
  const deadline = Date.now() + deadlineMs;
  const held = new Map<string, HeldClaim>();
  const fenced = new Set<string>();
  const taken: { claim: HeldClaim; w: number; key: string }[] = [];
  const needed = (call: WriteCall): void => {
    const missing: ClaimsNeeded["missing"][number][] = [];
    call.contents.forEach((content, w) => {
      for (const [label, set] of claimsOf((intents[w] as WriteIntent).meta, content))
        if (!held.has(set)) missing.push({ w, label, set, key: call.newKeys[w] as string });
    });
    if (missing.length > 0) throw new ClaimsNeeded(missing);
  };
  let result: boolean[] = [];
  try {
    for (let attempt = 1; ; attempt++) {
      const fences = [...held.values()];
      try {
        result = await runner.run(fenceGuards(fences), needed);
        break;
      } catch (error) {
        const fence = runner.fenceIndex(error);
        if (fence === undefined && !(error instanceof ClaimsNeeded)) throw error;
        if (Date.now() >= deadline)
          throw new ConcurrentModificationError(
            intents[0]?.meta.name ?? "?",
            intents[0]?.oldKey ?? "?",
            attempt,
            {
              deadlineMs,
            },
          );
        if (fence !== undefined) {
          // The claim was taken from this bucket (its value was not held here yet): take it again.
          const lost = fences[fence] as HeldClaim;
          held.delete(lost.set);
          fenced.add(lost.token);
          continue;
        }
        for (const { w, label, set, key } of (error as ClaimsNeeded).missing) {
          const intent = intents[w] as WriteIntent;
          const outcome = await takeClaim(intent.meta, label, set, key, deadline, deadlineMs, fenced);
          if ("holder" in outcome)
            throw new UniqueViolationError(
              intent.meta.name,
              label,
              label.includes("+")
                ? label.split("+").map((name) => runner.contested(intent, name))
                : runner.contested(intent, label),
              outcome.holder,
            );
          held.set(set, outcome.held);
          if (outcome.held.taken) taken.push({ claim: outcome.held, w, key });
        }
      }
    }
  } catch (error) {
    // Nothing of the write landed (or, after a lost reply, maybe it did: a release keeps a claim
    // whose value a live instance holds).
    await Promise.all(
      taken.map(({ claim, w, key }) => releaseClaim((intents[w] as WriteIntent).meta, claim.set, key)),
    );
    throw error;
  }
  // A write found applied after a lost reply does not say what it wrote: its claims stay (safe:
  // one whose value is not held is taken over by the next writer of the value).
  const call = applied.call;
  if (call === undefined) return result;
  const used = new Set(
    call.contents.flatMap((content, w) =>
      claimsOf((intents[w] as WriteIntent).meta, content).map(([, set]) => set),
    ),
  );
  const releases: Promise<void>[] = [];
  for (const { claim, w, key } of taken)
    if (!used.has(claim.set)) releases.push(releaseClaim((intents[w] as WriteIntent).meta, claim.set, key));
  intents.forEach((intent, w) => {
    for (const [, set] of releasedBy(intent.meta, intent.oldKey, intent.expected, call.contents[w]))
      releases.push(releaseClaim(intent.meta, set, intent.oldKey));
  });
  await Promise.all(releases);
  return result;
}
