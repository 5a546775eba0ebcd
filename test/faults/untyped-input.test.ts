/**
 * Bad input, part 4: what a web handler passes from untyped JSON (README "Operations"). Every
 * such input ends in a PopotoError with a code and writes nothing: values and filters nested
 * 10,000 deep, a huge `__in`, another model's key given to load(), a plain object posing as a
 * relationship value.
 *
 * Shared server, test database (POPOTO_TEST_DB).
 */
import { describe, expect, it } from "vitest";
import {
  DictField,
  KeyField,
  ListField,
  Model,
  not,
  or,
  PopotoError,
  Reference,
  Relationship,
} from "../../src/index.js";
import { dump } from "../support/inspect.js";
import { useRedis } from "../support/redis.js";

useRedis();

class Person extends Model("Person", { name: KeyField(), friend: Relationship("Person", { null: true }) }) {}
class Note extends Model("Note", {
  title: KeyField(),
  data: DictField({ null: true }),
  list: ListField({ null: true }),
  by: Relationship(Person, { null: true }),
}) {}

const deepDict = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};
const deepList = (levels: number): unknown[] => {
  let value: unknown[] = [];
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

/** The PopotoError code `action` fails with, after checking nothing was written. */
async function codeOf(action: () => PromiseLike<unknown>): Promise<string> {
  const before = JSON.stringify(await dump());
  let error: unknown;
  try {
    await action();
  } catch (e) {
    error = e;
  }
  expect(JSON.stringify(await dump()), "nothing was written").toBe(before);
  if (error === undefined) return "accepted";
  if (!(error instanceof PopotoError)) return `${(error as Error).name}: ${(error as Error).message}`;
  return error.code;
}

describe("untyped input ends in a PopotoError and writes nothing", () => {
  it("values nested 10,000 deep", async () => {
    await Person.create({ name: "ann" });
    expect(await codeOf(() => Note.create({ title: "t", data: deepDict(10_000) }))).toBe("VALIDATION");
    expect(await codeOf(() => Note.create({ title: "t", list: deepList(10_000) }))).toBe("VALIDATION");
    expect(await codeOf(() => Note.updateOrCreate({ title: "t" }, { data: deepDict(10_000) }))).toBe(
      "VALIDATION",
    );
    expect(await codeOf(() => Note.bulkCreate([{ title: "t", list: deepList(10_000) }]))).toBe("VALIDATION");
    // nesting within the limit is stored and read back
    const ok = await Note.create({ title: "ok", data: deepDict(60) });
    expect(JSON.stringify((await Note.load(ok.redisKey))?.data)).toBe(JSON.stringify(deepDict(60)));
  });

  it("filters nested 10,000 deep", async () => {
    let q: ReturnType<typeof or> = or({ title: "x" });
    for (let i = 0; i < 10_000; i++) q = or(q, { title: "y" });
    expect(await codeOf(() => Note.query.filter(q as never).all())).toBe("QUERY");
    let n: ReturnType<typeof not> = not({ title: "x" });
    for (let i = 0; i < 10_000; i++) n = not(n);
    expect(await codeOf(() => Note.query.filter(n as never).count())).toBe("QUERY");
    expect(await codeOf(() => Note.query.filter(deepDict(10_000) as never).all())).toBe("QUERY");
    let friend: Record<string, unknown> = { name: "ann" };
    for (let i = 0; i < 10_000; i++) friend = { friend };
    expect(await codeOf(() => Person.query.filter(friend as never).all())).toBe("QUERY");
    expect(await codeOf(() => Note.query.filter({ title__in: deepDict(10_000) } as never).all())).toBe(
      "QUERY",
    );
  });

  it("an __in of 150,000 values is answered (in bounded steps)", async () => {
    await Note.create({ title: "x7" });
    const titles = Array.from({ length: 150_000 }, (_, i) => `x${i}`);
    expect((await Note.query.filter({ title__in: titles })).map((n) => n.title)).toEqual(["x7"]);
    expect(await Note.query.filter({ by__in: titles.map((t) => `Person:${t}`) }).count()).toBe(0);
  });

  it("load() of another model's key, or of something that is no key, is null or a VALIDATION error", async () => {
    await Person.create({ name: "ann" });
    await Note.create({ title: "t" });
    // observed: a Note with every field null
    expect(await Note.load("Person:ann")).toBeNull();
    // A key of this model that no stored key can match says how to load by values (issue 14).
    expect(await codeOf(() => Note.load("Note:t:extra"))).toBe("VALIDATION");
    expect(await Note.load("Note")).toBeNull();
    expect((await Note.load("Note:t"))?.title).toBe("t");
    for (const bad of [null, 5, [], "x".repeat(3) as unknown as object])
      if (typeof bad !== "string")
        expect(await codeOf(() => Note.load(bad as never)), String(bad)).toBe("VALIDATION");
  });

  it("a relationship accepts an instance, a Reference or a key of its target, never a plain object", async () => {
    const ann = await Person.create({ name: "ann" });
    // observed: { redisKey: "Person:ann" } accepted as a relationship value
    expect(await codeOf(() => Note.create({ title: "t", by: { redisKey: "Person:ann" } as never }))).toBe(
      "VALIDATION",
    );
    expect(
      await codeOf(() => Note.bulkCreate([{ title: "t", by: { redisKey: "Person:ann" } as never }])),
    ).toBe("VALIDATION");
    expect(await codeOf(() => Note.query.filter({ by: { redisKey: "Person:ann" } } as never).all())).toBe(
      "QUERY",
    );
    expect(
      await codeOf(() => Note.query.filter({ by__in: [{ redisKey: "Person:ann" }] } as never).all()),
    ).toBe("QUERY");
    const a = await Note.create({ title: "a", by: ann });
    const b = await Note.create({ title: "b", by: new Reference("Person" as never, "Person:ann") as never });
    const c = await Note.create({ title: "c", by: "Person:ann" as never });
    expect([a, b, c].map((n) => String((n.by as { redisKey: string } | null)?.redisKey ?? n.by))).toEqual([
      "Person:ann",
      "Person:ann",
      "Person:ann",
    ]);
  });
});
