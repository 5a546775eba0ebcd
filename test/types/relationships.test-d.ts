/**
 * Relationship types: what a relationship holds and accepts, create() input, filter keys and
 * values through relationships at any depth, include paths, related(), addRelated(), and self
 * and mutual references by registered name. Model names here are unique to this file, because
 * the Models registration below applies to the whole program.
 */
import { describe, expectTypeOf, test } from "vitest";
import { Field, KeyField, Model, Reference, Relationship, SortedField } from "../../src/index.js";

class Sign extends Model("TRelSign", { name: KeyField() }) {}
class Club extends Model("TRelClub", { title: KeyField() }) {}

/** Self reference by registered name. */
class Person extends Model("TRelPerson", {
  name: KeyField(),
  starSign: Relationship(Sign),
  invitedBy: Relationship("TRelPerson"),
}) {
  get shout(): string {
    return this.name.toUpperCase();
  }
}

class Membership extends Model("TRelMembership", {
  person: Relationship(Person),
  club: Relationship(() => Club),
  role: Field(),
}) {}
class Badge extends Model("TRelBadge", { id: KeyField(), membership: Relationship(Membership) }) {}
class Required extends Model("TRelRequired", {
  id: KeyField(),
  person: Relationship(Person, { null: false }),
}) {}

class Author extends Model("TRelAuthor", { name: KeyField(), country: Field({ null: true }) }) {}
class Book extends Model("TRelBook", {
  title: KeyField(),
  author: Relationship(Author),
  pages: SortedField({ type: "int" }),
}) {}
class Review extends Model("TRelReview", { id: KeyField(), book: Relationship(Book) }) {}

class Post extends Model("TRelPost", { slug: KeyField(), tags: Relationship(Sign, { many: true }) }) {}

/** Mutual references by registered name. */
class Team extends Model("TRelTeam", { name: KeyField(), captain: Relationship("TRelPlayer") }) {}
class Player extends Model("TRelPlayer", { name: KeyField(), team: Relationship("TRelTeam") }) {}

declare module "../../src/index.js" {
  interface Models {
    TRelPerson: typeof Person;
    TRelTeam: typeof Team;
    TRelPlayer: typeof Player;
  }
}

declare const alice: Person;
declare const chess: Club;
declare const leo: Sign;
declare const tolkien: Author;

describe("what a relationship holds", () => {
  test("a class, a thunk and a registered name all give the target's instance type", () => {
    const m = new Membership();
    expectTypeOf(m.person).toEqualTypeOf<Person | Reference<Person> | null>();
    expectTypeOf(m.club).toEqualTypeOf<Club | Reference<Club> | null>();
    expectTypeOf(alice.invitedBy).toEqualTypeOf<Person | Reference<Person> | null>();
  });

  test("redisKey and load() on the value, whatever it is", async () => {
    const m = new Membership();
    expectTypeOf(m.person?.redisKey).toEqualTypeOf<string | undefined>();
    expectTypeOf(await m.person?.load()).toEqualTypeOf<Person | null | undefined>();
    const loaded = await m.person?.load();
    expectTypeOf(loaded?.shout).toEqualTypeOf<string | undefined>();
  });

  test("null: false is never null; many is an array", () => {
    expectTypeOf(new Required().person).toEqualTypeOf<Person | Reference<Person>>();
    expectTypeOf(new Post().tags).toEqualTypeOf<(Sign | Reference<Sign>)[]>();
  });

  test("assignment takes an instance, a Reference or null, not another model's instance", () => {
    const m = new Membership();
    m.person = alice;
    m.person = new Reference<Person>("TRelPerson", "TRelPerson:Bob");
    m.person = null;
    // @ts-expect-error a Club is not a Person
    m.person = chess;
    // @ts-expect-error a Reference to a Club is not one to a Person
    m.person = new Reference<Club>("TRelClub", "TRelClub:x");
  });
});

describe("create() input", () => {
  test("accepts an instance, a Reference, a key string or null", () => {
    void Membership.create({ person: alice, club: chess, role: "admin" });
    void Membership.create({ person: "TRelPerson:Alice", role: "admin" });
    void Membership.create({
      person: new Reference<Person>("TRelPerson", "TRelPerson:Alice"),
      role: "admin",
    });
    void Membership.create({ person: null, role: "admin" });
    void Post.create({ slug: "a", tags: [leo, "TRelSign:Virgo"] });
  });

  test("refuses a wrong target instance type and values that are not references", () => {
    // @ts-expect-error a Club where a Person is expected
    void Membership.create({ person: chess, role: "admin" });
    // @ts-expect-error a Reference to a Club
    void Membership.create({ person: new Reference<Club>("TRelClub", "TRelClub:x"), role: "admin" });
    // @ts-expect-error a number is not a reference
    void Membership.create({ person: 42, role: "admin" });
    // @ts-expect-error a Sign in a list of Signs is fine, a Club is not
    void Post.create({ slug: "a", tags: [leo, chess] });
  });

  test("null: false makes the relationship required and not null", () => {
    void Required.create({ id: "r", person: alice });
    // @ts-expect-error person is required
    void Required.create({ id: "r" });
    // @ts-expect-error person cannot be null
    void Required.create({ id: "r", person: null });
  });
});

describe("filter keys through relationships", () => {
  test("direct: an instance, a key, null, __in, __isnull", () => {
    void Book.query.filter({ author: tolkien });
    void Book.query.filter({ author: "TRelAuthor:Tolkien" });
    void Book.query.filter({ author: null });
    void Book.query.filter({ author__in: [tolkien, "TRelAuthor:Lewis"] });
    void Book.query.filter({ author__isnull: true });
    // @ts-expect-error a number is not a reference
    void Book.query.filter({ author: 1 });
    // @ts-expect-error relationships have no range operators
    void Book.query.filter({ author__gt: tolkien });
  });

  test("one hop: every operator of the target's indexed fields, with their value types", () => {
    void Book.query.filter({ author__name: "Tolkien" });
    void Book.query.filter({ author__name__startswith: "Tol", pages__gte: 300 });
    void Book.query.filter({ author__name__in: ["Tolkien", "Lewis"] });
    void Review.query.filter({ book__pages__gt: 300 });
    void Review.query.filter({ book__pages__between: [100, 200] });
    void Review.query.filter({ book__title__endswith: "it", book__author__name: "Tolkien" });
  });

  test("unknown paths, wrong operators and wrong value types are compile errors", () => {
    // @ts-expect-error TRelAuthor has no field nmae
    void Book.query.filter({ author__nmae: "Tolkien" });
    // @ts-expect-error a string key field has no __gt
    void Book.query.filter({ author__name__gt: "T" });
    // @ts-expect-error name is a string
    void Book.query.filter({ author__name: 1 });
    // @ts-expect-error country is a plain field: not indexed, not filterable
    void Book.query.filter({ author__country: "UK" });
    // @ts-expect-error pages is an int
    void Review.query.filter({ book__pages__gt: "300" });
    // @ts-expect-error a sorted field has no __startswith
    void Review.query.filter({ book__pages__startswith: "3" });
    // @ts-expect-error title is not a relationship, so it cannot be traversed
    void Book.query.filter({ title__name: "x" });
  });

  test("several hops, through a class, a thunk and a self reference by name", () => {
    void Badge.query.filter({ membership__person__starSign__name: "Leo" });
    void Badge.query.filter({ membership__club__title__startswith: "Ch" });
    void Badge.query.filter({ membership__person__invitedBy__invitedBy__name: "Alice" });
    void Badge.query.filter({ membership__person__starSign: leo });
    // @ts-expect-error TRelSign has no field nmae
    void Badge.query.filter({ membership__person__starSign__nmae: "Leo" });
    // @ts-expect-error no __gt on a string key, however deep
    void Badge.query.filter({ membership__person__name__gt: "A" });
  });
});

describe("self and mutual references by registered name", () => {
  test("each side is typed as the other's registered class", async () => {
    const team = new Team();
    expectTypeOf(team.captain).toEqualTypeOf<Player | Reference<Player> | null>();
    const captain = await team.captain?.load();
    expectTypeOf(captain).toEqualTypeOf<Player | null | undefined>();
    expectTypeOf(captain?.team).toEqualTypeOf<Team | Reference<Team> | null | undefined>();
    void Team.query.filter({ captain__team__captain__name: "Ann" });
    // @ts-expect-error TRelTeam has no field nmae
    void Player.query.filter({ team__nmae: "Reds" });
  });

  test("query() results of a self-referencing model are its class", async () => {
    expectTypeOf(await Person.query().filter({ invitedBy__name: "Alice" })).toEqualTypeOf<Person[]>();
    const inviter = await alice.invitedBy?.load();
    expectTypeOf(inviter).toEqualTypeOf<Person | null | undefined>();
  });
});

describe("include, related, addRelated", () => {
  test("include takes relationship names and dotted paths", () => {
    void Membership.query.include("person", "person.starSign", "club");
    // @ts-expect-error role is not a relationship
    void Membership.query.include("role");
    // @ts-expect-error no such field
    void Membership.query.include("nope");
  });

  test("related() is the referring model's query, named by one of its relationships", () => {
    expectTypeOf(tolkien.related(Book, "author")).toEqualTypeOf(Book.query());
    void tolkien.related(Book, "author").filter({ pages__gt: 300 }).orderBy("-pages").limit(5);
    // @ts-expect-error pages is not a relationship
    void tolkien.related(Book, "pages");
    // @ts-expect-error no such field
    void tolkien.related(Book, "writer");
  });

  test("addRelated and removeRelated take many-relationships only", () => {
    const post = new Post();
    void post.addRelated("tags", leo, "TRelSign:Virgo");
    void post.removeRelated("tags", leo);
    // @ts-expect-error slug is not a relationship
    void post.addRelated("slug", leo);
    // @ts-expect-error person is a relationship, but not declared with many: true
    void new Membership().addRelated("person", alice);
  });
});
