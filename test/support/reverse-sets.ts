/**
 * The invariant every relationship test checks: the `$RelationshipF` reverse sets of a model hold
 * exactly what its stored hashes say, read from Redis alone (SCAN and raw bytes, no popoto code).
 */
import { decode } from "@msgpack/msgpack";
import { expect } from "vitest";
import { fromClusterKey } from "./cluster-keys.js";
import { allKeys, ON_CLUSTER, raw } from "./redis.js";

/** A stored related key in the spelling the tests use (the cluster stores `{Guest}:Bob`). */
const spelled = (key: string): string => (ON_CLUSTER ? fromClusterKey(key) : key);

/** The reverse sets the stored hashes call for: set key -> sorted members. */
async function expectedSets(model: string, fields: readonly string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const add = (key: string, member: string): void => {
    (out[key] ??= []).push(member);
  };
  for (const key of await allKeys()) {
    if (!key.startsWith(`${model}:`) || (await raw.type(key)) !== "hash") continue;
    for (const field of fields) {
      const bytes = await raw.hgetBuffer(key, field);
      const value = bytes === null ? null : decode(bytes);
      const targets = (Array.isArray(value) ? value.map(String) : value === null ? [] : [String(value)]).map(
        spelled,
      );
      if (targets.length === 0) add(`$RelationshipF:${model}:${field}:None`, key);
      for (const target of targets) add(`$RelationshipF:${model}:${field}:${target}`, key);
    }
  }
  for (const list of Object.values(out)) list.sort();
  return out;
}

/** Every reverse set of `model`'s relationship `fields` as stored: set key -> sorted members. */
export async function reverseSets(
  model: string,
  fields: readonly string[],
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const key of await allKeys()) {
    if (!fields.some((field) => key.startsWith(`$RelationshipF:${model}:${field}:`))) continue;
    out[key] = (await raw.smembers(key)).sort();
  }
  return out;
}

/** Asserts that the reverse sets of `model` are exactly those its stored hashes call for: no ghosts, none missing. */
export async function expectExactReverseSets(model: string, fields: readonly string[]): Promise<void> {
  expect(await reverseSets(model, fields)).toEqual(await expectedSets(model, fields));
}
