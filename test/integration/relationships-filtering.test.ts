/**
 * Filtering on a relationship directly: by instance, Reference, instance key or null
 * (`{ f: null }`, `f__isnull`), `__in`; several relationship filters intersect, and combine with
 * any other filter. Any other value is a QueryError. Filtering by instance is one round trip.
 */
import { describe, expect, it } from "vitest";
import { KeyField, Model, QueryError, Reference, Relationship, SortedField } from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { raw, useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

class Athlete extends Model("Athlete", { name: KeyField() }) {}
class Squad extends Model("Squad", { name: KeyField() }) {}
class Referee extends Model("Referee", { name: KeyField() }) {}
class Roster extends Model("Roster", {
  id: KeyField(),
  season: KeyField(),
  athlete: Relationship(Athlete),
  squad: Relationship(Squad),
  rank: SortedField({ type: "int" }),
}) {}

interface World {
  ann: Athlete;
  ben: Athlete;
  cy: Athlete;
  reds: Squad;
  blues: Squad;
}

/**
 * r1 ann reds 2024 rank 1 | r2 ann blues 2024 rank 2 | r3 ben reds 2024 rank 3
 * r4 ben reds 2025 rank 4 | r5 -   reds 2025 rank 5 | r6 cy  -     2025 rank 6
 */
async function world(): Promise<World> {
  const ann = await Athlete.create({ name: "Ann" });
  const ben = await Athlete.create({ name: "Ben" });
  const cy = await Athlete.create({ name: "Cy" });
  const reds = await Squad.create({ name: "Reds" });
  const blues = await Squad.create({ name: "Blues" });
  await Roster.create({ id: "r1", season: "2024", athlete: ann, squad: reds, rank: 1 });
  await Roster.create({ id: "r2", season: "2024", athlete: ann, squad: blues, rank: 2 });
  await Roster.create({ id: "r3", season: "2024", athlete: ben, squad: reds, rank: 3 });
  await Roster.create({ id: "r4", season: "2025", athlete: ben, squad: reds, rank: 4 });
  await Roster.create({ id: "r5", season: "2025", squad: reds, rank: 5 });
  await Roster.create({ id: "r6", season: "2025", athlete: cy, rank: 6 });
  return { ann, ben, cy, reds, blues };
}

const ids = (rows: readonly Roster[]): string[] => rows.map((r) => r.id).sort();

describe("one relationship, each way of naming the target", () => {
  it("by instance, Reference, instance key, and a Reference from a loaded row: the same rows", async () => {
    const { ann } = await world();
    const loaded = await Roster.load({ id: "r1", season: "2024" });
    expect(loaded?.athlete).toBeInstanceOf(Reference);
    for (const athlete of [
      ann,
      new Reference<Athlete>(Athlete, "Athlete:Ann"),
      "Athlete:Ann",
      loaded!.athlete!,
    ]) {
      expect(ids(await Roster.query.filter({ athlete }))).toEqual(["r1", "r2"]);
    }
  });

  it("a target with no referrers, or that does not exist, gives no rows", async () => {
    await world();
    const lonely = await Athlete.create({ name: "Lonely" });
    expect(await Roster.query.filter({ athlete: lonely })).toEqual([]);
    expect(await Roster.query.filter({ athlete: "Athlete:Nobody" })).toEqual([]);
    expect(await Roster.query.count({ athlete: lonely })).toBe(0);
  });

  it("by null and __isnull", async () => {
    await world();
    expect(ids(await Roster.query.filter({ athlete: null }))).toEqual(["r5"]);
    expect(ids(await Roster.query.filter({ athlete__isnull: true }))).toEqual(["r5"]);
    expect(ids(await Roster.query.filter({ squad__isnull: true }))).toEqual(["r6"]);
    expect(ids(await Roster.query.filter({ athlete__isnull: false }))).toEqual([
      "r1",
      "r2",
      "r3",
      "r4",
      "r6",
    ]);
    expect(ids(await Roster.query.filter({ athlete__isnull: false, squad__isnull: false }))).toEqual([
      "r1",
      "r2",
      "r3",
      "r4",
    ]);
  });

  it("__in: the union over the targets, given any way; an empty list gives no rows", async () => {
    const { ann, cy } = await world();
    expect(ids(await Roster.query.filter({ athlete__in: [ann, "Athlete:Cy"] }))).toEqual(["r1", "r2", "r6"]);
    expect(
      ids(await Roster.query.filter({ athlete__in: [cy, new Reference<Athlete>(Athlete, "Athlete:Ben")] })),
    ).toEqual(["r3", "r4", "r6"]);
    expect(await Roster.query.filter({ athlete__in: [] })).toEqual([]);
  });

  it("after a reassignment the old target no longer finds the row", async () => {
    const { ann, cy } = await world();
    const row = await Roster.load({ id: "r1", season: "2024" });
    row!.athlete = cy;
    await row!.save();
    expect(ids(await Roster.query.filter({ athlete: ann }))).toEqual(["r2"]);
    expect(ids(await Roster.query.filter({ athlete: cy }))).toEqual(["r1", "r6"]);
  });
});

describe("combined filters", () => {
  it("two relationship filters intersect", async () => {
    const { ann, ben, reds, blues } = await world();
    expect(ids(await Roster.query.filter({ athlete: ann, squad: reds }))).toEqual(["r1"]);
    expect(ids(await Roster.query.filter({ athlete: ben, squad: reds }))).toEqual(["r3", "r4"]);
    expect(await Roster.query.filter({ athlete: ben, squad: blues })).toEqual([]);
    expect(ids(await Roster.query.filter({ athlete: ann }).filter({ squad: blues }))).toEqual(["r2"]);
    expect(ids(await Roster.query.filter({ athlete__in: [ann, ben], squad: null }))).toEqual([]);
    expect(ids(await Roster.query.filter({ athlete: null, squad: reds }))).toEqual(["r5"]);
  });

  it("with key-field and sorted-field filters, ordering and paging", async () => {
    const { ben, reds } = await world();
    expect(ids(await Roster.query.filter({ squad: reds, season: "2025" }))).toEqual(["r4", "r5"]);
    expect(ids(await Roster.query.filter({ squad: reds, rank__gte: 3 }))).toEqual(["r3", "r4", "r5"]);
    expect(ids(await Roster.query.filter({ athlete: ben, season__startswith: "202", rank__lt: 4 }))).toEqual([
      "r3",
    ]);
    const page = await Roster.query.filter({ squad: reds }).orderBy("-rank").offset(1).limit(2);
    expect(page.map((r) => r.id)).toEqual(["r4", "r3"]);
    expect(await Roster.query.count({ squad: reds })).toBe(4);
    expect(await Roster.query.filter({ squad: reds, athlete__isnull: true }).exists()).toBe(true);
    expect((await Roster.query.filter({ athlete: ben }).keys()).sort()).toEqual([
      "Roster:r3:2024",
      "Roster:r4:2025",
    ]);
    expect(await Roster.query.filter({ athlete: ben }).orderBy("rank").values("id", "athlete")).toEqual([
      { id: "r3", athlete: "Athlete:Ben" },
      { id: "r4", athlete: "Athlete:Ben" },
    ]);
  });

  it("get() by a relationship filter: one row, null, or MultipleResultsError", async () => {
    const { cy, ann } = await world();
    expect((await Roster.query.get({ athlete: cy }))?.id).toBe("r6");
    expect(await Roster.query.get({ athlete: "Athlete:Nobody" })).toBeNull();
    await expect(Roster.query.get({ athlete: ann })).rejects.toMatchObject({ code: "MULTIPLE_RESULTS" });
  });
});

describe("round trips", () => {
  it("filter by instance is one round trip (at most two allowed)", async () => {
    const { reds } = await world();
    const { result, roundTrips } = await countTraffic(() => Roster.query.filter({ squad: reds }).all());
    expect(result).toHaveLength(4);
    expect(roundTrips).toBeLessThanOrEqual(2);
    expect(roundTrips).toBe(1);
  });

  it("by key, by null, with other filters and ordering, and count: one round trip each", async () => {
    const { ann, reds } = await world();
    const runs: (() => Promise<unknown>)[] = [
      () => Roster.query.filter({ athlete: "Athlete:Ann" }).all(),
      () => Roster.query.filter({ athlete__isnull: true }).all(),
      () => Roster.query.filter({ athlete: ann, squad: reds, rank__lte: 9 }).orderBy("-rank").limit(1).all(),
      () => Roster.query.count({ squad: reds }),
    ];
    for (const run of runs) {
      const { roundTrips } = await countTraffic(run);
      expect(roundTrips).toBe(1);
    }
  });
});

describe("any other value is a QueryError", () => {
  it.each([
    ["a number", 42],
    ["a boolean", true],
    ["an object naming no field of the target", { nmae: "Ann" }],
    ["an array", ["Athlete:Ann"]],
    ["a Date", new Date(0)],
  ])("%s", async (_, value) => {
    await world();
    await caught(() => Roster.query.filter({ athlete: value as never }).all(), QueryError);
  });

  it("__in with a non-array or a bad member, __isnull with a non-boolean", async () => {
    await world();
    await caught(() => Roster.query.filter({ athlete__in: "Athlete:Ann" as never }).all(), QueryError);
    await caught(() => Roster.query.filter({ athlete__in: [42] as never }).all(), QueryError);
    await caught(() => Roster.query.filter({ athlete__isnull: "yes" as never }).all(), QueryError);
  });

  it("an operator relationships do not have", async () => {
    await world();
    await caught(() => Roster.query.filter({ athlete__gt: "Athlete:Ann" } as never).all(), QueryError);
    await caught(() => Roster.query.filter({ athlete__startswith: "Athlete:A" } as never).all(), QueryError);
  });

  it("an instance of another model", async () => {
    const referee = await Referee.create({ name: "Ann" });
    await world();
    await caught(() => Roster.query.filter({ athlete: referee as never }).all(), QueryError);
  });

  it("a key of another model, or a bare name instead of an instance key", async () => {
    await world();
    await caught(() => Roster.query.filter({ athlete: "Referee:Ann" }).all(), QueryError);
    await caught(() => Roster.query.filter({ athlete: "Ann" }).all(), QueryError);
  });

  it("a QueryError is thrown before anything is sent to Redis", async () => {
    await world();
    const { commands } = await countTraffic(() =>
      caught(() => Roster.query.filter({ athlete: 42 as never }).all(), QueryError),
    );
    expect(commands).toEqual([]);
    expect(await raw.dbsize()).toBeGreaterThan(0);
  });
});
