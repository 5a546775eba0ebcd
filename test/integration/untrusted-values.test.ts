/**
 * Untrusted values stay data: strings holding Lua, the Redis protocol, `{…}` hash tags, key-like
 * and glob-like text are stored in every string-carrying field kind and as key values. Each
 * round-trips unchanged, is found by its own filters, and reaches no other key: the database ends
 * up with exactly as many keys, all in the models' own namespaces, as with plain values.
 */
import { describe, expect, it } from "vitest";
import {
  BytesField,
  DictField,
  Field,
  GeoField,
  IndexedField,
  KeyField,
  ListField,
  Model,
  Relationship,
  SetField,
  SortedField,
  TupleField,
  UniqueField,
} from "../../src/index.js";
import { allKeys, raw, useRedis } from "../support/redis.js";

useRedis();

const UNTRUSTED = [
  `"; redis.call('FLUSHALL') --`,
  `]] redis.call("SET", "pwned", "1") --[[`,
  `\r\n*3\r\n$3\r\nSET\r\n$5\r\npwned\r\n$1\r\n1\r\n`,
  `*1\r\n$8\r\nFLUSHALL\r\n`,
  `{Target}x`,
  `}{`,
  `{`,
  `Target:pwned`,
  `$Class:Target`,
  `$KeyF:Evil:name:other`,
  `Evil:*`,
  `*`,
  `[a-z]?`,
  `a:b:c`,
  `/{&#58;}/`,
  `\u0000\u0000x\u0001`,
  `ünïcødé ☃`,
];

class Target extends Model("Target", { name: KeyField() }) {}
class Evil extends Model("Evil", {
  name: KeyField(),
  tag: IndexedField(),
  email: UniqueField(),
  rank: SortedField({ type: "int", partitionBy: "tag" }),
  text: Field(),
  list: ListField(),
  dict: DictField(),
  set: SetField(),
  tuple: TupleField(),
  bytes: BytesField(),
  target: Relationship(Target),
  place: GeoField(),
}) {}

const valuesFor = (value: string, i: number) => ({
  name: value,
  tag: value,
  email: `${value}#${i}`,
  rank: i,
  text: value,
  list: [value, i],
  dict: { [value]: value, nested: { [value]: [value] } },
  set: new Set([value]),
  tuple: [value, value],
  bytes: new TextEncoder().encode(value),
  target: `Target:${value.replace(/[/'?*^[\]\-{]/g, "/$&").replace(/:/g, "{&#58;}")}`,
  place: { latitude: 10 + i / 100, longitude: 20 },
});

/** Stores `values` as Targets and Evils; returns every key of the database afterwards. */
async function store(values: readonly string[]): Promise<string[]> {
  for (const [i, value] of values.entries()) {
    const target = await Target.create({ name: value });
    await Evil.create({ ...valuesFor(value, i), target });
  }
  return allKeys();
}

describe("untrusted values", () => {
  it("round-trip through every field kind and as key values", async () => {
    await store(UNTRUSTED);
    for (const [i, value] of UNTRUSTED.entries()) {
      const loaded = await Evil.load({ name: value });
      expect(loaded, JSON.stringify(value)).not.toBeNull();
      const expected = valuesFor(value, i);
      expect(loaded?.name).toBe(value);
      expect(loaded?.tag).toBe(value);
      expect(loaded?.email).toBe(expected.email);
      expect(loaded?.text).toBe(value);
      expect(loaded?.list).toEqual(expected.list);
      expect(loaded?.dict).toEqual(expected.dict);
      expect(loaded?.set).toEqual(expected.set);
      expect(loaded?.tuple).toEqual(expected.tuple);
      expect(loaded?.bytes).toEqual(expected.bytes);
      expect((await loaded?.target?.load())?.name).toBe(value);
    }
  });

  it("are found by their own filters and by nothing else", async () => {
    await store(UNTRUSTED);
    for (const [i, value] of UNTRUSTED.entries()) {
      const only = [value];
      const names = async (query: PromiseLike<readonly InstanceType<typeof Evil>[]>) =>
        (await query).map((e) => e.name);
      expect(await names(Evil.query.filter({ name: value })), JSON.stringify(value)).toEqual(only);
      expect(await names(Evil.query.filter({ tag: value }))).toEqual(only);
      expect((await Evil.query.get({ email: `${value}#${i}` }))?.name).toBe(value);
      expect(await names(Evil.query.filter({ rank__gte: 0, tag: value }))).toEqual(only);
      expect(await names(Evil.query.filter({ target__name: value }))).toEqual(only);
      expect(await names(Evil.query.filter({ name__startswith: value }))).toContain(value);
      expect((await Target.query.filter({ name: value })).map((t) => t.name)).toEqual(only);
    }
    expect(await Evil.query.count()).toBe(UNTRUSTED.length);
  });

  it("reach no other key: as many keys as plain values make, all in the models' namespaces", async () => {
    const plain = await store(UNTRUSTED.map((_, i) => `plain${i}`));
    await raw.flushdb();
    const untrusted = await store(UNTRUSTED);
    expect(untrusted.length).toBe(plain.length);
    expect(await raw.exists("pwned")).toBe(0);
    const namespace = /^(Evil:|Target:|\$[A-Za-z]+:(Evil|Target)(:|$))/;
    expect(untrusted.filter((key) => !namespace.test(key))).toEqual([]);
    // one hash per instance, each with the same fields as a plain instance's
    const hashes = untrusted.filter((key) => /^Evil:/.test(key));
    expect(hashes.length).toBe(UNTRUSTED.length);
    for (const key of hashes) expect((await raw.hkeys(key)).sort()).toEqual(Object.keys(Evil.fields).sort());
  });
});
