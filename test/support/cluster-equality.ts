/**
 * vitest setup file for `POPOTO_TEST_CLUSTER=1`: on the cluster, popoto spells keys with the
 * model's hash tag (`{Book}:Dune`) where the tests spell the standalone key (`Book:Dune`). Strings
 * compare equal here when they differ only by the hash tags of defined models, in `toEqual`
 * (and the matchers built on it), `toBe` and `toMatch`; everything else compares as usual, so an
 * assertion still fails on any other difference. `toContain` likewise (error messages name keys). The tagged layout itself is asserted in
 * test/cluster/layout.test.ts.
 */
import { beforeEach, expect } from "vitest";
import { fromClusterKey } from "./cluster-keys.js";
import { clusterSkipReason } from "./cluster-skips.js";

// Tests that cannot run on a cluster are skipped, with their reason as the note.
beforeEach((context) => {
  const reason = clusterSkipReason(context.task.file.filepath, context.task.name);
  if (reason !== undefined) context.skip(`standalone only: ${reason}`);
});

const sameModuloTags = (a: unknown, b: unknown): boolean | undefined =>
  typeof a === "string" && typeof b === "string" && (a.includes("{") || b.includes("{"))
    ? fromClusterKey(a) === fromClusterKey(b)
    : undefined;

expect.addEqualityTesters([sameModuloTags]);

expect.extend({
  // An error message naming `{Book}:Dune` contains what a test expects as `Book:Dune`.
  toContain(received: unknown, expected: unknown) {
    const pass =
      typeof received === "string" && typeof expected === "string"
        ? received.includes(expected) || fromClusterKey(received).includes(fromClusterKey(expected))
        : received !== null &&
          typeof received === "object" &&
          Symbol.iterator in received &&
          Array.from(received as Iterable<unknown>).some(
            (item) => Object.is(item, expected) || sameModuloTags(item, expected) === true,
          );
    return {
      pass,
      message: () =>
        `expected ${this.utils.printReceived(received)} ${pass ? "not " : ""}to contain ${this.utils.printExpected(expected)} (modulo {Model} hash tags)`,
    };
  },
  // `util.inspect`, messages and keys read back match the standalone spelling a test's pattern has.
  toMatch(received: unknown, expected: string | RegExp) {
    const matches = (text: string): boolean =>
      typeof expected === "string" ? text.includes(expected) : new RegExp(expected).test(text);
    const pass = typeof received === "string" && (matches(received) || matches(fromClusterKey(received)));
    return {
      pass,
      message: () =>
        `expected ${this.utils.printReceived(received)} ${pass ? "not " : ""}to match ${this.utils.printExpected(expected)} (modulo {Model} hash tags)`,
    };
  },
  toBe(received: unknown, expected: unknown) {
    const pass = Object.is(received, expected) || sameModuloTags(received, expected) === true;
    return {
      pass,
      message: () =>
        `expected ${this.utils.printReceived(received)} ${pass ? "not " : ""}to be ${this.utils.printExpected(expected)} // Object.is equality (modulo {Model} hash tags)`,
      actual: received,
      expected,
    };
  },
});
