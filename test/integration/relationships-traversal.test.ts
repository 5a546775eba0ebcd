/**
 * Filtering through relationships: `restaurant__name`, every operator of the target's indexed
 * fields, any number of hops. A traversal matches the union of the reverse sets of every
 * matching target, intersected with the other filters. One hop costs at most three round trips.
 */
import { describe, expect, it } from "vitest";
import { KeyField, Model, QueryError, Relationship, SortedField } from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { useRedis } from "../support/redis.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

class Restaurant extends Model("Restaurant", { name: KeyField(), city: KeyField() }) {}
class MenuItem extends Model("MenuItem", {
  name: KeyField(),
  restaurant: Relationship(Restaurant),
  price: SortedField({ type: "float" }),
}) {}

class Sign extends Model("Sign", { name: KeyField() }) {}
/** Two key fields (name, nickname): a patron's key is `TravPatron:<name>:<nickname or None>`. */
class Patron extends Model("TravPatron", {
  name: KeyField(),
  nickname: KeyField({ null: true }),
  age: SortedField({ type: "int" }),
  starSign: Relationship(Sign),
  invitedBy: Relationship("TravPatron"),
}) {}
class Enrolment extends Model("Enrolment", {
  id: KeyField(),
  patron: Relationship(Patron),
  role: KeyField(),
}) {}
class Pin extends Model("Pin", { id: KeyField(), enrolment: Relationship(Enrolment) }) {}

class Scribe extends Model("Scribe", { name: KeyField() }) {}
class Novel extends Model("Novel", {
  title: KeyField(),
  pages: SortedField({ type: "int" }),
  author: Relationship(Scribe),
}) {}
class Review extends Model("Review", {
  id: KeyField(),
  novel: Relationship(Novel),
  reviewer: Relationship(Patron),
  stars: SortedField({ type: "int" }),
}) {}

declare module "../../src/index.js" {
  interface Models {
    TravPatron: typeof Patron;
  }
}

class Theme extends Model("Theme", { name: KeyField() }) {}
class Gallery extends Model("Gallery", { id: KeyField(), themes: Relationship(Theme, { many: true }) }) {}

const names = (rows: readonly { name: string }[]): string[] => rows.map((r) => r.name).sort();
const idsOf = (rows: readonly { id: string }[]): string[] => rows.map((r) => r.id).sort();

/** Two "Burger Palace"s (new-york, paris), a Sushi Zen, and menu items of each. */
async function restaurants(): Promise<{ ny: Restaurant; paris: Restaurant; sushi: Restaurant }> {
  const ny = await Restaurant.create({ name: "Burger Palace", city: "new-york" });
  const paris = await Restaurant.create({ name: "Burger Palace", city: "paris" });
  const sushi = await Restaurant.create({ name: "Sushi Zen", city: "new-york" });
  await MenuItem.create({ name: "Fries", restaurant: ny, price: 3.5 });
  await MenuItem.create({ name: "Burger", restaurant: ny, price: 9 });
  await MenuItem.create({ name: "Frites", restaurant: paris, price: 4 });
  await MenuItem.create({ name: "Roll", restaurant: sushi, price: 12 });
  await MenuItem.create({ name: "Water", price: 1 });
  return { ny, paris, sushi };
}

/**
 * Signs Leo, Virgo; patrons ann (Leo, nick "annie", 30), bob (Leo, 40, invited by ann),
 * cy (Virgo, nick "cyc", 50, invited by bob), dee (no sign, 20); enrolments and pins over them.
 */
async function club(): Promise<void> {
  const leo = await Sign.create({ name: "Leo" });
  const virgo = await Sign.create({ name: "Virgo" });
  const ann = await Patron.create({ name: "ann", nickname: "annie", age: 30, starSign: leo });
  const bob = await Patron.create({ name: "bob", age: 40, starSign: leo, invitedBy: ann });
  const cy = await Patron.create({ name: "cy", nickname: "cyc", age: 50, starSign: virgo, invitedBy: bob });
  const dee = await Patron.create({ name: "dee", age: 20 });
  const e = [
    await Enrolment.create({ id: "e-ann", patron: ann, role: "admin" }),
    await Enrolment.create({ id: "e-bob", patron: bob, role: "member" }),
    await Enrolment.create({ id: "e-cy", patron: cy, role: "member" }),
    await Enrolment.create({ id: "e-dee", patron: dee, role: "guest" }),
    await Enrolment.create({ id: "e-none", role: "guest" }),
  ];
  for (const enrolment of e) await Pin.create({ id: `pin-${enrolment.id}`, enrolment });
  await Pin.create({ id: "pin-loose" });
}

describe("one hop, exact", () => {
  it("restaurant__name, whose letters overlap the relationship's name (Popoto's prefix strip breaks it)", async () => {
    await restaurants();
    expect(names(await MenuItem.query.filter({ restaurant__name: "Sushi Zen" }))).toEqual(["Roll"]);
  });

  it("two targets matching one traversal: the union of their referrers, not the intersection", async () => {
    await restaurants();
    expect(names(await MenuItem.query.filter({ restaurant__name: "Burger Palace" }))).toEqual([
      "Burger",
      "Fries",
      "Frites",
    ]);
    expect(await MenuItem.query.count({ restaurant__name: "Burger Palace" })).toBe(3);
    expect(names(await MenuItem.query.filter({ restaurant__city: "new-york" }))).toEqual([
      "Burger",
      "Fries",
      "Roll",
    ]);
  });

  it("several lookups through one relationship all apply to the same target", async () => {
    await restaurants();
    expect(
      names(await MenuItem.query.filter({ restaurant__name: "Burger Palace", restaurant__city: "paris" })),
    ).toEqual(["Frites"]);
    expect(await MenuItem.query.filter({ restaurant__name: "Sushi Zen", restaurant__city: "paris" })).toEqual(
      [],
    );
  });

  it("intersected with key-field, sorted-field and direct relationship filters", async () => {
    const { ny, sushi } = await restaurants();
    expect(names(await MenuItem.query.filter({ restaurant__name: "Burger Palace", price__gte: 4 }))).toEqual([
      "Burger",
      "Frites",
    ]);
    expect(
      names(await MenuItem.query.filter({ restaurant__name: "Burger Palace", name__startswith: "Fr" })),
    ).toEqual(["Fries", "Frites"]);
    expect(names(await MenuItem.query.filter({ restaurant: ny, restaurant__name: "Burger Palace" }))).toEqual(
      ["Burger", "Fries"],
    );
    expect(await MenuItem.query.filter({ restaurant: sushi, restaurant__name: "Burger Palace" })).toEqual([]);
    const page = await MenuItem.query.filter({ restaurant__city: "new-york" }).orderBy("-price").limit(2);
    expect(page.map((m) => m.name)).toEqual(["Roll", "Burger"]);
  });

  it("no matching target gives no rows (not every row)", async () => {
    await restaurants();
    expect(await MenuItem.query.filter({ restaurant__name: "Nowhere" })).toEqual([]);
    expect(await MenuItem.query.filter({ restaurant__name: "Nowhere", price__gte: 0 })).toEqual([]);
    expect(await MenuItem.query.count({ restaurant__name__in: [] })).toBe(0);
  });

  it("a deleted target no longer matches, though its referrers still point at it", async () => {
    const { paris } = await restaurants();
    await paris.delete();
    expect(names(await MenuItem.query.filter({ restaurant__name: "Burger Palace" }))).toEqual([
      "Burger",
      "Fries",
    ]);
    expect(names(await MenuItem.query.filter({ restaurant: "Restaurant:paris:Burger Palace" }))).toEqual([
      "Frites",
    ]);
  });

  it("values with characters that need escaping", async () => {
    const odd = await Restaurant.create({ name: "a:b-c*d{e}", city: "x:y" });
    await MenuItem.create({ name: "Odd", restaurant: odd, price: 1 });
    expect(odd.redisKey).toBe("Restaurant:x{&#58;}y:a{&#58;}b/-c/*d{e}");
    expect(names(await MenuItem.query.filter({ restaurant__name: "a:b-c*d{e}" }))).toEqual(["Odd"]);
    expect(
      names(await MenuItem.query.filter({ restaurant__city: "x:y", restaurant__name__startswith: "a:b-" })),
    ).toEqual(["Odd"]);
  });
});

describe("one hop, every operator of the target's fields", () => {
  it("key fields: __in, __startswith, __endswith, __contains, __isnull", async () => {
    await club();
    expect(idsOf(await Enrolment.query.filter({ patron__name__in: ["ann", "cy", "zed"] }))).toEqual([
      "e-ann",
      "e-cy",
    ]);
    expect(idsOf(await Enrolment.query.filter({ patron__name__startswith: "b" }))).toEqual(["e-bob"]);
    expect(idsOf(await Enrolment.query.filter({ patron__nickname__endswith: "c" }))).toEqual(["e-cy"]);
    expect(idsOf(await Enrolment.query.filter({ patron__nickname__contains: "nni" }))).toEqual(["e-ann"]);
    expect(idsOf(await Enrolment.query.filter({ patron__nickname__isnull: true }))).toEqual([
      "e-bob",
      "e-dee",
    ]);
    expect(idsOf(await Enrolment.query.filter({ patron__nickname__isnull: false }))).toEqual([
      "e-ann",
      "e-cy",
    ]);
    expect(idsOf(await Enrolment.query.filter({ patron__nickname: null }))).toEqual(["e-bob", "e-dee"]);
  });

  it("sorted fields: exact, __gt, __gte, __lt, __lte, __between, __in", async () => {
    await club();
    expect(idsOf(await Enrolment.query.filter({ patron__age: 40 }))).toEqual(["e-bob"]);
    expect(idsOf(await Enrolment.query.filter({ patron__age__gt: 30 }))).toEqual(["e-bob", "e-cy"]);
    expect(idsOf(await Enrolment.query.filter({ patron__age__gte: 30 }))).toEqual(["e-ann", "e-bob", "e-cy"]);
    expect(idsOf(await Enrolment.query.filter({ patron__age__lt: 30 }))).toEqual(["e-dee"]);
    expect(idsOf(await Enrolment.query.filter({ patron__age__lte: 30 }))).toEqual(["e-ann", "e-dee"]);
    expect(idsOf(await Enrolment.query.filter({ patron__age__between: [25, 45] }))).toEqual([
      "e-ann",
      "e-bob",
    ]);
    expect(idsOf(await Enrolment.query.filter({ patron__age__in: [20, 50, 99] }))).toEqual(["e-cy", "e-dee"]);
    expect(idsOf(await Enrolment.query.filter({ patron__age__gt: 20, patron__age__lt: 50 }))).toEqual([
      "e-ann",
      "e-bob",
    ]);
  });

  it("book__pages__gt style: a sorted field of the target, combined with the owner's own sorted field", async () => {
    const tolkien = await Scribe.create({ name: "Tolkien" });
    const hobbit = await Novel.create({ title: "The Hobbit", pages: 310, author: tolkien });
    const lotr = await Novel.create({ title: "LOTR", pages: 1178, author: tolkien });
    const short = await Novel.create({ title: "Leaf", pages: 30, author: tolkien });
    await Review.create({ id: "r1", novel: hobbit, stars: 5 });
    await Review.create({ id: "r2", novel: lotr, stars: 4 });
    await Review.create({ id: "r3", novel: lotr, stars: 2 });
    await Review.create({ id: "r4", novel: short, stars: 5 });
    expect(idsOf(await Review.query.filter({ novel__pages__gt: 300 }))).toEqual(["r1", "r2", "r3"]);
    expect(idsOf(await Review.query.filter({ novel__pages__gt: 300, stars__gte: 4 }))).toEqual(["r1", "r2"]);
    expect(
      idsOf(await Review.query.filter({ novel__pages__lte: 310, novel__title__startswith: "The" })),
    ).toEqual(["r1"]);
    expect(idsOf(await Review.query.filter({ novel__author__name: "Tolkien", stars__lt: 3 }))).toEqual([
      "r3",
    ]);
  });

  it("relationship lookups of the target: an instance, __isnull, __in", async () => {
    await club();
    const leo = await Sign.load({ name: "Leo" });
    expect(idsOf(await Enrolment.query.filter({ patron__starSign: leo! }))).toEqual(["e-ann", "e-bob"]);
    expect(idsOf(await Enrolment.query.filter({ patron__starSign: "Sign:Virgo" }))).toEqual(["e-cy"]);
    expect(idsOf(await Enrolment.query.filter({ patron__starSign__isnull: true }))).toEqual(["e-dee"]);
    expect(idsOf(await Enrolment.query.filter({ patron__starSign__in: ["Sign:Virgo", leo!] }))).toEqual([
      "e-ann",
      "e-bob",
      "e-cy",
    ]);
    // A null patron is not "a patron with no sign".
    expect(idsOf(await Enrolment.query.filter({ patron__isnull: true }))).toEqual(["e-none"]);
  });

  it("a many-relationship: any of the targets matching counts", async () => {
    const ts = await Theme.create({ name: "ts" });
    const redis = await Theme.create({ name: "redis" });
    const node = await Theme.create({ name: "node" });
    await Gallery.create({ id: "a", themes: [ts, redis] });
    await Gallery.create({ id: "b", themes: [node] });
    await Gallery.create({ id: "c" });
    expect(idsOf(await Gallery.query.filter({ themes__name: "redis" }))).toEqual(["a"]);
    expect(idsOf(await Gallery.query.filter({ themes__name__in: ["ts", "redis", "node"] }))).toEqual([
      "a",
      "b",
    ]);
    expect(idsOf(await Gallery.query.filter({ themes__name__endswith: "s" }))).toEqual(["a"]);
  });
});

describe("several hops", () => {
  it("two hops: patron__starSign__name, and a self reference patron__invitedBy__name", async () => {
    await club();
    expect(idsOf(await Enrolment.query.filter({ patron__starSign__name: "Leo" }))).toEqual([
      "e-ann",
      "e-bob",
    ]);
    expect(idsOf(await Enrolment.query.filter({ patron__invitedBy__name: "ann" }))).toEqual(["e-bob"]);
    expect(idsOf(await Enrolment.query.filter({ patron__invitedBy__invitedBy__name: "ann" }))).toEqual([
      "e-cy",
    ]);
    expect(
      idsOf(await Enrolment.query.filter({ patron__invitedBy__starSign__name: "Leo", role: "member" })),
    ).toEqual(["e-bob", "e-cy"]);
  });

  it("three hops: enrolment__patron__starSign__name, with a union at every level", async () => {
    await club();
    expect(idsOf(await Pin.query.filter({ enrolment__patron__starSign__name: "Leo" }))).toEqual([
      "pin-e-ann",
      "pin-e-bob",
    ]);
    expect(
      idsOf(await Pin.query.filter({ enrolment__patron__starSign__name__in: ["Leo", "Virgo"] })),
    ).toEqual(["pin-e-ann", "pin-e-bob", "pin-e-cy"]);
    expect(
      idsOf(await Pin.query.filter({ enrolment__patron__starSign__name: "Leo", enrolment__role: "member" })),
    ).toEqual(["pin-e-bob"]);
    expect(idsOf(await Pin.query.filter({ enrolment__patron__starSign__isnull: true }))).toEqual([
      "pin-e-dee",
    ]);
    expect(await Pin.query.filter({ enrolment__patron__starSign__name: "Aries" })).toEqual([]);
  });

  it("four hops through a self reference: pins of those invited by someone invited by ann", async () => {
    await club();
    expect(idsOf(await Pin.query.filter({ enrolment__patron__invitedBy__invitedBy__name: "ann" }))).toEqual([
      "pin-e-cy",
    ]);
  });

  it("two relationships traversed in one filter intersect", async () => {
    await club();
    const tolkien = await Scribe.create({ name: "Tolkien" });
    const hobbit = await Novel.create({ title: "The Hobbit", pages: 310, author: tolkien });
    const leaf = await Novel.create({ title: "Leaf", pages: 30, author: tolkien });
    const ann = await Patron.query.get({ name: "ann" });
    const cy = await Patron.query.get({ name: "cy" });
    expect(ann?.redisKey).toBe("TravPatron:ann:annie");
    await Review.create({ id: "r1", novel: hobbit, reviewer: ann!, stars: 5 });
    await Review.create({ id: "r2", novel: leaf, reviewer: ann!, stars: 3 });
    await Review.create({ id: "r3", novel: hobbit, reviewer: cy!, stars: 4 });
    expect(
      idsOf(await Review.query.filter({ novel__pages__gt: 100, reviewer__starSign__name: "Leo" })),
    ).toEqual(["r1"]);
    expect(idsOf(await Review.query.filter({ novel__title: "The Hobbit", reviewer__age__gte: 30 }))).toEqual([
      "r1",
      "r3",
    ]);
  });
});

describe("the nested form", () => {
  it("{ restaurant: { name } } is restaurant__name, at any depth and with operators", async () => {
    await restaurants();
    await club();
    expect(names(await MenuItem.query.filter({ restaurant: { name: "Burger Palace" } }))).toEqual([
      "Burger",
      "Fries",
      "Frites",
    ]);
    expect(
      names(
        await MenuItem.query.filter({
          restaurant: { name: "Burger Palace", city: "paris" },
          price: { gte: 1 },
        }),
      ),
    ).toEqual(["Frites"]);
    expect(idsOf(await Pin.query.filter({ enrolment: { patron: { starSign: { name: "Leo" } } } }))).toEqual([
      "pin-e-ann",
      "pin-e-bob",
    ]);
    expect(idsOf(await Enrolment.query.filter({ patron: { age: { gt: 30 } } }))).toEqual(["e-bob", "e-cy"]);
  });
});

describe("round trips", () => {
  it("one hop is at most three round trips, and does not grow with the number of matching targets", async () => {
    for (let i = 0; i < 40; i++) {
      const r = await Restaurant.create({ name: "Chain", city: `c${i}` });
      await MenuItem.create({ name: `item${i}`, restaurant: r, price: i });
    }
    const { result, roundTrips } = await countTraffic(() =>
      MenuItem.query.filter({ restaurant__name: "Chain" }).all(),
    );
    expect(result).toHaveLength(40);
    expect(roundTrips).toBeLessThanOrEqual(3);
  });

  it("each further hop adds at most one round trip", async () => {
    await club();
    const two = await countTraffic(() => Enrolment.query.filter({ patron__starSign__name: "Leo" }).all());
    const three = await countTraffic(() =>
      Pin.query.filter({ enrolment__patron__starSign__name: "Leo" }).all(),
    );
    expect(two.result).toHaveLength(2);
    expect(three.result).toHaveLength(2);
    expect(two.roundTrips).toBeLessThanOrEqual(4);
    expect(three.roundTrips).toBeLessThanOrEqual(5);
  });
});

describe("bad traversals are QueryErrors", () => {
  it.each([
    ["an unknown field of the target", { restaurant__nmae: "x" }],
    ["an operator the target field lacks", { restaurant__name__gt: "x" }],
    ["a string operator on a sorted field", { patron__age__startswith: "3" }],
    ["a value of the wrong type", { patron__age__gt: "thirty" }],
    ["a through-path on a field that is not a relationship", { role__name: "x" }],
    ["an unknown hop deeper down", { patron__starSign__nmae: "Leo" }],
  ])("%s", async (_, where) => {
    await club();
    await caught(() => Enrolment.query.filter(where as never).all(), QueryError);
  });
});
