/**
 * vitest setup file for `POPOTO_TEST_CLUSTER=1`: on the cluster, popoto spells keys with the
 * model's hash tag (`{Book}:Dune`) where the tests spell the standalone key (`Book:Dune`). Strings
 * compare equal here when they differ only by the hash tags of defined models, in `toEqual`
 * (and the matchers built on it) and in `toBe`; everything else compares as usual, so an
 * assertion still fails on any other difference. The tagged layout itself is asserted in
 * test/cluster/layout.test.ts.
 */
import { expect } from "vitest";
import { fromClusterKey } from "./cluster-keys.js";

const sameModuloTags = (a: unknown, b: unknown): boolean | undefined =>
  typeof a === "string" && typeof b === "string" && (a.includes("{") || b.includes("{"))
    ? fromClusterKey(a) === fromClusterKey(b)
    : undefined;

expect.addEqualityTesters([sameModuloTags]);

expect.extend({
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
