/**
 * The cluster layout of docs/storage.md §7, spelled out and read with a plain ioredis Cluster (no
 * key translation): every key of a model carries `{Model}`, so all of them share one slot, and a
 * stored related key is the target's tagged key, byte for byte. The rest of the suite spells keys
 * the standalone way and compares modulo tags (test/support/cluster-keys.ts); the tests that assert
 * standalone bytes of related keys are skipped on the cluster and covered here. Cluster pass only.
 */
import type { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyField, Model, Relationship, SortedField } from "../../src/index.js";
import { mpstr } from "../support/inspect.js";
import { ON_CLUSTER, clusterUrls, useRedis } from "../support/redis.js";
import { clusterClient } from "../support/redis-cluster.js";

useRedis();

class Writer extends Model("Writer", { name: KeyField() }) {}
class Novel extends Model("Novel", {
  title: KeyField({ lexIndex: true }),
  pages: SortedField({ type: "int" }),
  writer: Relationship(Writer, { null: true }),
}) {}

let plain: Cluster;

describe.runIf(ON_CLUSTER)("the cluster layout, as stored", () => {
  beforeAll(() => {
    plain = clusterClient(clusterUrls());
  });
  afterAll(() => {
    plain.disconnect();
  });

  it("tags every key of a model with {Model}; they all hash to one slot", async () => {
    const herbert = await Writer.create({ name: "Herbert" });
    await Novel.create({ title: "Dune", pages: 412, writer: herbert });
    const novelKeys = [
      "{Novel}:Dune",
      "$Class:{Novel}",
      "$KeyF:{Novel}:title:Dune",
      "$SortF:{Novel}:pages",
      "$RelationshipF:{Novel}:writer:{Writer}:Herbert",
      "$LexF:{Novel}:title",
      "$LexRevF:{Novel}:title",
    ];
    expect(await Promise.all(novelKeys.map((key) => plain.exists(key)))).toEqual(novelKeys.map(() => 1));
    const slots = await Promise.all(novelKeys.map((key) => plain.call("CLUSTER", "KEYSLOT", key)));
    expect(new Set(slots).size).toBe(1);
    expect([await plain.exists("Novel:Dune"), await plain.exists("$Class:Novel")]).toEqual([0, 0]);
    expect(await plain.smembers("$Class:{Novel}")).toEqual(["{Novel}:Dune"]);
    expect(await plain.zrange("$LexF:{Novel}:title", 0, -1)).toEqual(["Dune\0\0{Novel}:Dune"]);
  });

  it("stores a related instance's tagged key as the relationship's value and reverse-set name", async () => {
    const herbert = await Writer.create({ name: "Herbert" });
    await Novel.create({ title: "Dune", pages: 412, writer: herbert });
    const stored = await plain.hgetBuffer("{Novel}:Dune", "writer");
    expect(stored?.toString("hex")).toBe(mpstr("{Writer}:Herbert"));
    expect(await plain.smembers("$RelationshipF:{Novel}:writer:{Writer}:Herbert")).toEqual(["{Novel}:Dune"]);
    // The standalone spelling names the same instance on a cluster (load and filters).
    expect((await Novel.query.filter({ writer: "Writer:Herbert" })).map((n) => n.title)).toEqual(["Dune"]);
  });
});
