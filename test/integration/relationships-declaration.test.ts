/**
 * Declaring relationships: the target as a class, a thunk or a registered model name; self and
 * mutual references; `null: false`; what a relationship holds and accepts at run time.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  Field,
  KeyField,
  Model,
  ModelDefinitionError,
  Reference,
  Relationship,
  ValidationError,
} from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { allKeys, hexOf, raw, useRedis } from "../support/redis.js";

useRedis();

class Human extends Model("DeclHuman", { name: KeyField(), bio: Field({ null: true }) }) {}
class Club extends Model("Club", { title: KeyField() }) {}

/** The same relationship three ways: a class, a thunk, a name. */
class ByClass extends Model("ByClass", { id: KeyField(), person: Relationship(Human) }) {}
class ByThunk extends Model("ByThunk", { id: KeyField(), person: Relationship(() => Human) }) {}
class ByName extends Model("ByName", { id: KeyField(), person: Relationship("DeclHuman") }) {}

/** A thunk naming a model defined further down the file (a forward reference). */
class Ticket extends Model("Ticket", { id: KeyField(), venue: Relationship(() => Venue) }) {}
class Venue extends Model("Venue", { name: KeyField() }) {}

class Required extends Model("Required", {
  id: KeyField(),
  person: Relationship(Human, { null: false }),
  note: Field({ null: true }),
}) {}

/** Self reference, by registered name. */
class DeclPerson extends Model("DeclPerson", { name: KeyField(), invitedBy: Relationship("DeclPerson") }) {
  get greeting(): string {
    return `hi ${this.name}`;
  }
}

/** Mutual references between two models, by registered name. */
class DeclTeam extends Model("DeclTeam", { name: KeyField(), captain: Relationship("DeclPlayer") }) {}
class DeclPlayer extends Model("DeclPlayer", { name: KeyField(), team: Relationship("DeclTeam") }) {}

declare module "../../src/index.js" {
  interface Models {
    DeclHuman: typeof Human;
    DeclPerson: typeof DeclPerson;
    DeclTeam: typeof DeclTeam;
    DeclPlayer: typeof DeclPlayer;
  }
}

/** hex of the msgpack str Popoto writes for a related key (fixstr up to 31 bytes). */
const strHex = (text: string): string =>
  (0xa0 + Buffer.byteLength(text)).toString(16) + Buffer.from(text).toString("hex");

describe("the target: a class, a thunk or a registered name", () => {
  it.each([
    ["class", ByClass, (alice: Human) => ByClass.create({ id: "1", person: alice })],
    ["thunk", ByThunk, (alice: Human) => ByThunk.create({ id: "1", person: alice })],
    ["name", ByName, (alice: Human) => ByName.create({ id: "1", person: alice })],
  ] as const)(
    "by %s: stores the key, fills the reverse set, loads a Reference to a Human",
    async (_, Owner, create) => {
      const alice = await Human.create({ name: "Alice" });
      await create(alice);
      const model = Owner.modelName;
      expect(await hexOf(`${model}:1`, "person")).toBe(strHex("DeclHuman:Alice"));
      expect(await raw.smembers(`$RelationshipF:${model}:person:DeclHuman:Alice`)).toEqual([`${model}:1`]);
      const loaded = await Owner.load({ id: "1" });
      expect(loaded?.person).toBeInstanceOf(Reference);
      expect((loaded?.person as Reference).modelName).toBe("DeclHuman");
      const person = await loaded?.person?.load();
      expect(person).toBeInstanceOf(Human);
      expect(person?.name).toBe("Alice");
      expect((await Owner.query.filter({ person__name: "Alice" })).map((o) => o.redisKey)).toEqual([
        `${model}:1`,
      ]);
    },
  );

  it("a thunk may name a model defined after the declaring model", async () => {
    const hall = await Venue.create({ name: "Hall" });
    await Ticket.create({ id: "t1", venue: hall });
    expect(await raw.smembers("$RelationshipF:Ticket:venue:Venue:Hall")).toEqual(["Ticket:t1"]);
    expect((await Ticket.query.filter({ venue__name: "Hall" })).map((t) => t.id)).toEqual(["t1"]);
    expect(await (await Ticket.load({ id: "t1" }))?.venue?.load()).toBeInstanceOf(Venue);
  });

  it("a name that no model has fails with ModelDefinitionError when the relationship is first used", async () => {
    class Orphan extends Model("Orphan", { id: KeyField(), ghost: Relationship("NoSuchModel") }) {}
    // @ts-expect-error the compiler cannot follow an unregistered name either
    const error = await caught(() => Orphan.query.filter({ ghost__name: "x" }), ModelDefinitionError);
    expect(error.message).toContain("NoSuchModel");
  });
});

describe("self and mutual references", () => {
  it("a model can point at itself by name, and loads and filters through it", async () => {
    const alice = await DeclPerson.create({ name: "Alice" });
    const bob = await DeclPerson.create({ name: "Bob", invitedBy: alice });
    const carol = await DeclPerson.create({ name: "Carol", invitedBy: "DeclPerson:Bob" });
    expect(await raw.smembers("$RelationshipF:DeclPerson:invitedBy:DeclPerson:Alice")).toEqual([
      "DeclPerson:Bob",
    ]);
    expect(await raw.smembers("$RelationshipF:DeclPerson:invitedBy:DeclPerson:Bob")).toEqual([
      "DeclPerson:Carol",
    ]);
    expect(await raw.smembers("$RelationshipF:DeclPerson:invitedBy:None")).toEqual(["DeclPerson:Alice"]);

    const loaded = await DeclPerson.load({ name: "Carol" });
    const inviter = await loaded?.invitedBy?.load();
    // Typed and built as the registered subclass: its getter works.
    expectTypeOf(inviter).toEqualTypeOf<DeclPerson | null | undefined>();
    expect(inviter).toBeInstanceOf(DeclPerson);
    expect(inviter?.greeting).toBe("hi Bob");
    const grand = await inviter?.invitedBy?.load();
    expect(grand?.name).toBe("Alice");
    expect(await grand?.invitedBy?.load()).toBeUndefined(); // Alice was invited by nobody: null?.load()

    const invitedByInvitees = await DeclPerson.query().filter({ invitedBy__invitedBy__name: "Alice" });
    expect(invitedByInvitees.map((p) => p.name)).toEqual(["Carol"]);
    expectTypeOf(invitedByInvitees).toEqualTypeOf<DeclPerson[]>();
    expect(bob.invitedBy).toBe(alice);
    expect(carol.invitedBy).toBeInstanceOf(Reference);
  });

  it("an instance may point at itself", async () => {
    const narcissus = new DeclPerson({ name: "Narcissus" });
    narcissus.invitedBy = narcissus;
    await narcissus.save();
    expect(await raw.smembers("$RelationshipF:DeclPerson:invitedBy:DeclPerson:Narcissus")).toEqual([
      "DeclPerson:Narcissus",
    ]);
    const loaded = await DeclPerson.load({ name: "Narcissus" });
    const again = await (await loaded?.invitedBy?.load())?.invitedBy?.load();
    expect(again?.name).toBe("Narcissus");
  });

  it("two models can point at each other by name", async () => {
    const team = await DeclTeam.create({ name: "Reds", captain: "DeclPlayer:Ann" });
    const ann = await DeclPlayer.create({ name: "Ann", team });
    expect(await raw.smembers("$RelationshipF:DeclTeam:captain:DeclPlayer:Ann")).toEqual(["DeclTeam:Reds"]);
    expect(await raw.smembers("$RelationshipF:DeclPlayer:team:DeclTeam:Reds")).toEqual(["DeclPlayer:Ann"]);

    const captain = await (await DeclTeam.load({ name: "Reds" }))?.captain?.load();
    expectTypeOf(captain).toEqualTypeOf<DeclPlayer | null | undefined>();
    expect(captain).toBeInstanceOf(DeclPlayer);
    expect(captain?.redisKey).toBe(ann.redisKey);
    const captainsTeam = await captain?.team?.load();
    expect(captainsTeam?.name).toBe("Reds");

    expect((await DeclTeam.query.filter({ captain__team__name: "Reds" })).map((t) => t.name)).toEqual([
      "Reds",
    ]);
    expect((await DeclPlayer.query.filter({ team__captain: ann })).map((p) => p.name)).toEqual(["Ann"]);
  });
});

describe("null: false makes the relationship required", () => {
  it("create without it fails with a ValidationError naming the field, and writes nothing", async () => {
    const error = await caught(
      () => Required.create({ id: "r" } as unknown as Parameters<typeof Required.create>[0]),
      ValidationError,
    );
    expect(error.issues.map((i) => i.field)).toEqual(["person"]);
    // It says what a relationship takes, not the stored type ("string").
    expect(error.issues[0]?.expected).toBe("a DeclHuman instance, a Reference or a DeclHuman key");
    expect(error.message).not.toContain("expected string");
    expect(await allKeys()).toEqual([]);
  });

  it("create with null fails too, saying how to allow null for a relationship", async () => {
    const error = await caught(
      () => Required.create({ id: "r", person: null as unknown as string }),
      ValidationError,
    );
    expect(error.issues.map((i) => i.field)).toEqual(["person"]);
    expect(error.issues[0]?.message).toBe(
      "is required and cannot be null (expected a DeclHuman instance, a Reference or a DeclHuman key); " +
        "give it a value, or declare the relationship without `null: false`",
    );
    expect(await allKeys()).toEqual([]);
  });

  it("a relationship is nullable by default (the README's one exception to required fields)", async () => {
    const m = await ByClass.create({ id: "o" });
    expect(m.person).toBeNull();
    expect(ByClass.fields.person.nullable).toBe(true);
    expect(Required.fields.person.nullable).toBe(false);
    expect(await ByClass.query.filter({ person__isnull: true }).count()).toBe(1);
  });

  it("clearing it on a saved instance fails and leaves the stored row and its reverse set as they were", async () => {
    const alice = await Human.create({ name: "Alice" });
    const r = await Required.create({ id: "r", person: alice });
    const before = await allKeys();
    (r as { person: unknown }).person = null;
    r.note = "changed";
    await caught(() => r.save(), ValidationError);
    expect(await allKeys()).toEqual(before);
    expect(await raw.smembers("$RelationshipF:Required:person:DeclHuman:Alice")).toEqual(["Required:r"]);
    expect(await raw.exists("$RelationshipF:Required:person:None")).toBe(0);
    expect(await hexOf("Required:r", "note")).toBe("c0");
  });

  it("a key string or a Reference satisfies it", async () => {
    await Required.create({ id: "a", person: "DeclHuman:Zed" });
    await Required.create({ id: "b", person: new Reference<Human>("DeclHuman", "DeclHuman:Zed") });
    expect((await raw.smembers("$RelationshipF:Required:person:DeclHuman:Zed")).sort()).toEqual([
      "Required:a",
      "Required:b",
    ]);
  });
});

describe("what a relationship holds and accepts", () => {
  it("holds null, an instance or a Reference; a key string becomes a Reference when assigned", async () => {
    const alice = await Human.create({ name: "Alice" });
    const owner = new ByClass({ id: "1" });
    expect(owner.person).toBeNull();
    owner.person = alice;
    expect(owner.person).toBe(alice);
    owner.person = "DeclHuman:Bob" as unknown as Human;
    expect(owner.person).toBeInstanceOf(Reference);
    expect(owner.person?.redisKey).toBe("DeclHuman:Bob");
    const ref = new Reference<Human>("DeclHuman", "DeclHuman:Carol");
    owner.person = ref;
    expect(owner.person).toBe(ref);
    owner.person = null;
    expect(owner.person).toBeNull();
  });

  it("a key string given to the constructor or create() is a Reference on the instance", async () => {
    const made = new ByClass({ id: "1", person: "DeclHuman:Bob" });
    expect(made.person).toBeInstanceOf(Reference);
    expect(made.person?.redisKey).toBe("DeclHuman:Bob");
    const created = await ByClass.create({ id: "2", person: "DeclHuman:Bob" });
    expect(created.person).toBeInstanceOf(Reference);
    expect(await created.person?.load()).toBeNull(); // Bob was never saved
  });

  it("redisKey and load() work on an instance and a Reference alike", async () => {
    const alice = await Human.create({ name: "Alice", bio: "x" });
    const created = await ByClass.create({ id: "1", person: alice });
    const loaded = await ByClass.load({ id: "1" });
    expect(created.person?.redisKey).toBe("DeclHuman:Alice");
    expect(loaded?.person?.redisKey).toBe("DeclHuman:Alice");
    expect(await created.person?.load()).toBe(alice);
    const fromRef = await loaded?.person?.load();
    expect(fromRef).not.toBe(alice);
    expect(fromRef?.bio).toBe("x");
    expect(loaded?.toJSON()).toEqual({ id: "1", person: "DeclHuman:Alice" });
  });

  it("refuses an instance of another model, writing nothing", async () => {
    const club = await Club.create({ title: "Chess" });
    const before = await allKeys();
    const error = await caught(
      () => ByClass.create({ id: "1", person: club as unknown as Human }),
      ValidationError,
    );
    expect(error.issues.map((i) => i.field)).toEqual(["person"]);
    expect(await allKeys()).toEqual(before);
  });

  it("refuses a Reference to another model and a key of another model, writing nothing", async () => {
    await caught(
      () => ByClass.create({ id: "1", person: new Reference({ modelName: "Club" }, "Club:Chess") }),
      ValidationError,
    );
    await caught(() => ByClass.create({ id: "2", person: "Club:Chess" }), ValidationError);
    expect(await allKeys()).toEqual([]);
  });

  it("refuses a string that is not an instance key of the target (a bare name), writing nothing", async () => {
    const error = await caught(() => ByClass.create({ id: "1", person: "Alice" }), ValidationError);
    expect(error.issues.map((i) => i.field)).toEqual(["person"]);
    expect(await allKeys()).toEqual([]);
  });

  it("refuses values that are neither instances, References nor keys, writing nothing", async () => {
    await caught(() => ByClass.create({ id: "1", person: 42 as unknown as string }), ValidationError);
    await caught(
      () => ByClass.create({ id: "2", person: { name: "Alice" } as unknown as string }),
      ValidationError,
    );
    await caught(() => ByClass.create({ id: "3", person: true as unknown as string }), ValidationError);
    expect(await allKeys()).toEqual([]);
  });

  it("refuses a wrong target on assignment too, when saved", async () => {
    const club = await Club.create({ title: "Chess" });
    const owner = await ByClass.create({ id: "1", person: "DeclHuman:Alice" });
    owner.person = club as unknown as Human;
    await caught(() => owner.save(), ValidationError);
    expect(await hexOf("ByClass:1", "person")).toBe(strHex("DeclHuman:Alice"));
    expect(await raw.exists("$RelationshipF:ByClass:person:Club:Chess")).toBe(0);
  });
});
