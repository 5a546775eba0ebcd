/**
 * Queries over damaged data (README "Operations"): one corrupt row never hides the rest. A query
 * that matched rows it cannot read throws RowProblemsError after it ran, carrying every healthy
 * result (in the query's order) and each bad row's key and field; a key of the wrong Redis type
 * at an index's name fails with a WrongTypeError naming that key.
 *
 * Shared server, test database (POPOTO_TEST_DB).
 */
import { describe, expect, it } from "vitest";
import {
  configureQueryLimits,
  CorruptDataError,
  IntField,
  KeyField,
  Model,
  RowProblemsError,
  SortedField,
  WrongTypeError,
} from "../../src/index.js";
import { dump } from "../support/inspect.js";
import { raw, useRedis } from "../support/redis.js";

useRedis();

class Doc extends Model("Doc", {
  name: KeyField(),
  kind: KeyField(),
  n: IntField(),
  rank: SortedField({ type: "int" }),
}) {}

const seed = async (count: number): Promise<void> => {
  await Doc.bulkCreate(
    Array.from({ length: count }, (_, i) => ({
      name: `d${String(i).padStart(3, "0")}`,
      kind: "k",
      n: i,
      rank: i,
    })),
  );
};

async function thrown(action: () => PromiseLike<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("a corrupt row among healthy ones", () => {
  it("all(), values(), ordered pages and iterate() return every healthy row and name the bad one", async () => {
    await seed(100);
    await raw.hset("Doc:k:d042", "n", Buffer.from([0xc1]));
    const before = JSON.stringify(await dump());

    const error = await thrown(() => Doc.query.filter({ kind: "k" }).orderBy("rank").all());
    expect(error).toBeInstanceOf(RowProblemsError);
    expect(error).toBeInstanceOf(CorruptDataError);
    const problems = error as RowProblemsError<InstanceType<typeof Doc>>;
    expect(problems.code).toBe("CORRUPT_DATA");
    expect(problems.problems.map((p) => [p.key, p.kind, p.field])).toEqual([["Doc:k:d042", "corrupt", "n"]]);
    expect(problems.rows.map((d) => d.n)).toEqual(
      Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 42),
    );
    expect(problems.message).toContain("Doc:k:d042");

    const values = (await thrown(() => Doc.query.values("name", "n"))) as RowProblemsError;
    expect(values).toBeInstanceOf(RowProblemsError);
    expect(values.rows).toHaveLength(99);
    expect(values.problems[0]?.key).toBe("Doc:k:d042");

    const page = (await thrown(() => Doc.query.orderBy("rank").offset(40).limit(5))) as RowProblemsError<
      InstanceType<typeof Doc>
    >;
    expect(page.rows.map((d) => d.n)).toEqual([40, 41, 43, 44]);

    // the same over the budget, in steps
    configureQueryLimits({ scriptBudget: 10, chunkSize: 10 });
    try {
      const stepped = (await thrown(() => Doc.query.filter({ kind: "k" }).all())) as RowProblemsError;
      expect(stepped).toBeInstanceOf(RowProblemsError);
      expect(stepped.rows).toHaveLength(99);
    } finally {
      configureQueryLimits({ reset: true });
    }

    const seen: number[] = [];
    const iterated = await thrown(async () => {
      for await (const doc of Doc.query.iterate({ batchSize: 7 })) seen.push(doc.n);
    });
    expect(iterated).toBeInstanceOf(RowProblemsError);
    expect(seen.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 42),
    );

    // reading reported, and changed nothing
    expect(JSON.stringify(await dump())).toBe(before);
  });

  it("a key holding another Redis type than a hash is reported as a bad row, not a failed query", async () => {
    await seed(5);
    await raw.del("Doc:k:d002");
    await raw.set("Doc:k:d002", "not a hash");
    const error = (await thrown(() => Doc.query.orderBy("rank").all())) as RowProblemsError<
      InstanceType<typeof Doc>
    >;
    expect(error).toBeInstanceOf(RowProblemsError);
    expect(error.problems.map((p) => [p.key, p.field])).toEqual([["Doc:k:d002", "(hash)"]]);
    expect(error.rows.map((d) => d.n)).toEqual([0, 1, 3, 4]);
  });
});

describe("a key of the wrong Redis type at an index's name", () => {
  it("a query that reads it fails with WrongTypeError naming the key", async () => {
    await seed(5);
    await raw.del("$KeyF:Doc:kind:k");
    await raw.set("$KeyF:Doc:kind:k", "not a set");
    const error = (await thrown(() => Doc.query.filter({ kind: "k", rank__gte: 1 }).all())) as WrongTypeError;
    expect(error).toBeInstanceOf(WrongTypeError);
    expect(error.code).toBe("WRONG_TYPE");
    expect([error.key, error.actual, error.expected]).toEqual(["$KeyF:Doc:kind:k", "string", "set"]);
    expect(error.message).toContain("$KeyF:Doc:kind:k");
    // queries that do not read it still work
    expect((await Doc.query.filter({ rank__gte: 3 })).map((d) => d.n).sort()).toEqual([3, 4]);
  });

  it("a sorted index of the wrong type, in a query run in steps", async () => {
    await seed(30);
    await raw.del("$SortF:Doc:rank");
    await raw.hset("$SortF:Doc:rank", "x", "y");
    configureQueryLimits({ scriptBudget: 10, chunkSize: 10 });
    try {
      const error = (await thrown(() => Doc.query.filter({ rank__gte: 1 }).count())) as WrongTypeError;
      expect(error).toBeInstanceOf(WrongTypeError);
      expect([error.key, error.actual, error.expected]).toEqual(["$SortF:Doc:rank", "hash", "zset"]);
    } finally {
      configureQueryLimits({ reset: true });
    }
  });
});
