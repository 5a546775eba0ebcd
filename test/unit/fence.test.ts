/** The shortest fence connect() accepts (src/connection/fence.ts): pure arithmetic, no Redis. */
import { describe, expect, it } from "vitest";
import { DEFAULT_FENCE_SECONDS, minFenceSeconds } from "../../src/connection/fence.js";

describe("minFenceSeconds", () => {
  it("is twice the longest life of a write carrying a token", () => {
    expect(minFenceSeconds({ writeDeadlineMs: 5000, commandTimeout: 10_000, clusterRetryMs: 0 })).toBe(40);
    expect(minFenceSeconds({ writeDeadlineMs: 5000, commandTimeout: 10_000, clusterRetryMs: 20_000 })).toBe(
      80,
    );
    expect(minFenceSeconds({ writeDeadlineMs: 1, commandTimeout: 1, clusterRetryMs: 0 })).toBe(1);
  });
  it("without a command timeout is the default: a command may wait without end", () => {
    expect(minFenceSeconds({ writeDeadlineMs: 5000, commandTimeout: 0, clusterRetryMs: 0 })).toBe(
      DEFAULT_FENCE_SECONDS,
    );
  });
});
