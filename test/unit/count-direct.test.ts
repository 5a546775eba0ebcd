import { describe, expect, it } from "vitest";
import { directCount } from "../../src/query/count-direct.js";
import type { LexScan, PlanNode } from "../../src/query/plan.js";

const scan: LexScan = {
  classKey: "$Class:Book",
  noneKey: "$KeyF:Book:title:None",
  position: 1,
  field: "title",
  mode: "prefix",
  needle: "Du",
};

describe("directCount: which plans one command counts", () => {
  it("one set is SCARD", () => {
    const node: PlanNode = { t: "set", key: "$RelationshipF:Book:author:Author:Ann" };
    expect(directCount(node, false)).toEqual({
      command: "scard",
      key: "$RelationshipF:Book:author:Author:Ann",
    });
  });

  it("one score range is ZCOUNT with the same bounds", () => {
    const node: PlanNode = { t: "zr", key: "$SortF:Book:pages", min: "(10", max: "+inf" };
    expect(directCount(node, false)).toEqual({
      command: "zcount",
      key: "$SortF:Book:pages",
      min: "(10",
      max: "+inf",
    });
  });

  it("one lex range is ZLEXCOUNT, carrying the keys that prove the index complete", () => {
    const min = Buffer.from("[Du");
    const max = Buffer.from([0x28, 0x44, 0x75, 0xff]);
    expect(directCount({ t: "lex", key: "$LexF:Book:title", min, max, scan }, false)).toEqual({
      command: "zlexcount",
      key: "$LexF:Book:title",
      min,
      max,
      classKey: "$Class:Book",
      noneKey: "$KeyF:Book:title:None",
    });
  });

  it("an empty plan needs no command", () => {
    expect(directCount({ t: "none" }, false)).toEqual({ command: "none" });
  });

  it("a model with a ttl always goes through query.lua (expired hashes leave index entries)", () => {
    expect(directCount({ t: "set", key: "$Class:Session" }, true)).toBeUndefined();
    expect(
      directCount({ t: "zr", key: "$SortF:Session:score", min: "-inf", max: "+inf" }, true),
    ).toBeUndefined();
    expect(directCount({ t: "none" }, true)).toBeUndefined();
  });

  it("several indexes, substring scans, key parts, key lists and geo go through query.lua", () => {
    const set: PlanNode = { t: "set", key: "$Class:Book" };
    const nodes: PlanNode[] = [
      { t: "and", c: [set, { t: "zr", key: "$SortF:Book:pages", min: "1", max: "2" }] },
      { t: "or", c: [set, { t: "set", key: "$KeyF:Book:title:Dune" }] },
      { t: "diff", a: set, b: [{ t: "set", key: "$KeyF:Book:title:None" }] },
      { t: "lexs", key: "$LexF:Book:title", needle: "un", scan: { ...scan, mode: "contains" } },
      { t: "part", key: "$Class:Book", position: 1, part: "Dune" },
      { t: "keys", keys: ["Book:Dune"] },
      {
        t: "geo",
        key: "$GeoF:Place:location",
        longitude: 1,
        latitude: 2,
        member: undefined,
        radius: 3,
        unit: "km",
      },
    ];
    for (const node of nodes) expect(directCount(node, false), node.t).toBeUndefined();
  });
});
