/**
 * What users see of an instance: JSON.stringify (sets as arrays, bytes as base64, relationships as
 * keys), console.log / util.inspect (every field, relationships included), and a ValidationError
 * that lists every problem of a create() input at once.
 */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  BytesField,
  Field,
  KeyField,
  Model,
  Relationship,
  SetField,
  ValidationError,
} from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { useRedis } from "../support/redis.js";

useRedis();

class Owner extends Model("OutOwner", { name: KeyField() }) {}
class Thing extends Model("OutThing", {
  name: KeyField(),
  owner: Relationship(Owner),
  tags: SetField(),
  blob: BytesField({ null: true }),
  meta: Field({ type: "dict", null: true }),
  born: Field({ type: "datetime", null: true }),
}) {}

describe("JSON.stringify(instance)", () => {
  it("gives sets as arrays, bytes as base64 (also nested), dates as ISO text, relationships as keys", async () => {
    const ann = await Owner.create({ name: "Ann" });
    const thing = await Thing.create({
      name: "t1",
      owner: ann,
      tags: new Set(["a", "b"]),
      blob: new Uint8Array([1, 2, 255]),
      meta: { inner: new Uint8Array([0]), list: [new Set([1])] },
      born: new Date("2024-01-02T03:04:05.000Z"),
    });
    expect(JSON.parse(JSON.stringify(thing))).toEqual({
      name: "t1",
      owner: "OutOwner:Ann",
      tags: ["a", "b"],
      blob: "AQL/",
      meta: { inner: "AA==", list: [[1]] },
      born: "2024-01-02T03:04:05.000Z",
    });
    const loaded = await Thing.load({ name: "t1" });
    expect(JSON.parse(JSON.stringify(loaded))).toMatchObject({ tags: ["a", "b"], blob: "AQL/" });
  });
});

describe("util.inspect(instance)", () => {
  it("shows the class, the key and every field, relationships included", async () => {
    const ann = await Owner.create({ name: "Ann" });
    await Thing.create({ name: "t2", owner: ann, tags: new Set(["x"]) });
    const loaded = await Thing.load({ name: "t2" });
    const shown = inspect(loaded);
    expect(shown).toMatch(/^Thing <OutThing:t2> \{/);
    expect(shown).toContain("owner: Reference");
    expect(shown).toContain("OutOwner:Ann");
    expect(shown).toContain("tags: Set(1) { 'x' }");
    expect(inspect(new Thing({ name: "new" }))).toMatch(/^Thing <OutThing:new> \{/);
  });
});

describe("create() with several problems", () => {
  it("lists unknown fields and invalid values together, and writes nothing", async () => {
    const error = await caught(
      () => Thing.create({ name: "t3", tags: new Set(), nmae: "x", owner: 5 } as never),
      ValidationError,
    );
    expect(error.issues.map((i) => i.field).sort()).toEqual(["nmae", "owner"]);
    expect(error.message).toContain("2 invalid fields");
    expect(await Thing.query.count()).toBe(0);
  });
});
