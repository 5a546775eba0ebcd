/**
 * Deletes and relationships. Deleting a referrer removes it from the reverse set of its stored
 * target, whatever it holds in memory. Deleting a target follows `onDelete` ("nothing",
 * "cascade", "setNull", "protect"), and leaves nothing partial: one atomic write when it fits in
 * one script (a small delete on a standalone server), else ordered per-slot steps
 * (test/integration/delete-steps.test.ts covers those at size).
 */
import { describe, expect, it } from "vitest";
import {
  Field,
  KeyField,
  Model,
  ProtectedError,
  Reference,
  Relationship,
  SortedField,
} from "../../src/index.js";
import { caught, dump, members, mpstr, zmembers } from "../support/inspect.js";
import { escapePart } from "../../src/keys/escape.js";
import { allKeys, hexOf, layoutKey, ON_CLUSTER, raw, useRedis } from "../support/redis.js";
import { expectExactReverseSets } from "../support/reverse-sets.js";
import { countTraffic } from "../support/round-trips.js";

useRedis();

// onDelete "nothing" (the default)
class Writer extends Model("Writer", { name: KeyField() }) {}
class Essay extends Model("Essay", {
  title: KeyField(),
  writer: Relationship(Writer),
  words: SortedField({ type: "int" }),
}) {}

// a cascade chain: Shelf <- Volume <- Chapter <- Footnote
class Shelf extends Model("Shelf", { name: KeyField() }) {}
class Volume extends Model("Volume", {
  title: KeyField(),
  shelf: Relationship(Shelf, { onDelete: "cascade" }),
  pages: SortedField({ type: "int" }),
}) {}
class Chapter extends Model("Chapter", {
  id: KeyField(),
  volume: Relationship(Volume, { onDelete: "cascade" }),
}) {}
class Footnote extends Model("Footnote", {
  id: KeyField(),
  chapter: Relationship(Chapter, { onDelete: "cascade" }),
}) {}
/** Protects volumes: a loaned volume cannot go, so neither can its shelf. */
class Loan extends Model("Loan", { id: KeyField(), volume: Relationship(Volume, { onDelete: "protect" }) }) {}

// setNull, next to a cascade on the same target
class Club extends Model("Club", { name: KeyField() }) {}
class Fan extends Model("Fan", {
  name: KeyField(),
  club: Relationship(Club, { onDelete: "setNull" }),
  level: SortedField({ type: "int" }),
  note: Field({ null: true }),
}) {}
/** A sorted field partitioned by a setNull relationship: clearing it moves the score to the None partition. */
class Seat extends Model("Seat", {
  id: KeyField(),
  club: Relationship(Club, { onDelete: "setNull" }),
  price: SortedField({ type: "int", partitionBy: "club" }),
}) {}
class Badge extends Model("Badge", { id: KeyField(), club: Relationship(Club, { onDelete: "cascade" }) }) {}

// one referrer reached twice by one delete
class Ticket extends Model("Ticket", {
  id: KeyField(),
  holder: Relationship(Club, { onDelete: "setNull" }),
  issuer: Relationship(Club, { onDelete: "cascade" }),
}) {}
class Review extends Model("Review", {
  id: KeyField(),
  volume: Relationship(Volume, { onDelete: "setNull" }),
  shelf: Relationship(Shelf, { onDelete: "cascade" }),
}) {}
class Shipment extends Model("Shipment", {
  id: KeyField(),
  volumes: Relationship(Volume, { many: true, onDelete: "setNull" }),
}) {}

// protect
class Vault extends Model("Vault", { name: KeyField() }) {}
class Deposit extends Model("Deposit", {
  id: KeyField(),
  vault: Relationship(Vault, { onDelete: "protect" }),
}) {}

// self reference with cascade (cycles)
class Node extends Model("Node", {
  name: KeyField(),
  parent: Relationship("Node", { onDelete: "cascade" }),
}) {}

// many, with setNull and cascade
class Label extends Model("Label", { name: KeyField() }) {}
class Parcel extends Model("Parcel", {
  id: KeyField(),
  labels: Relationship(Label, { many: true, onDelete: "setNull" }),
}) {}
class Crate extends Model("Crate", {
  id: KeyField(),
  labels: Relationship(Label, { many: true, onDelete: "cascade" }),
}) {}

const WRITER_ANN = "$RelationshipF:Essay:writer:Writer:Ann";
const WRITER_BEN = "$RelationshipF:Essay:writer:Writer:Ben";

/** Every key whose name mentions one of `names`, for "nothing partial is left" assertions. */
const keysMentioning = async (...names: string[]): Promise<string[]> =>
  (await allKeys()).filter((key) => names.some((name) => key.includes(name)));

/**
 * Asserts the writes of a small delete with onDelete actions: one EVALSHA on a standalone server;
 * on a cluster, one per slot plus the journal's HSET and DEL (docs/storage.md, "Deletes in steps").
 */
const expectDeleteWrites = (commands: readonly string[]): void => {
  const writes = writeCommands(commands);
  if (!ON_CLUSTER) expect(writes).toEqual(["EVALSHA"]);
  else expect([...new Set(writes)].sort()).toEqual(["DEL", "EVALSHA", "HSET"]);
};

/** Commands sent during `run` that write (everything but reads). */
const writeCommands = (commands: readonly string[]): string[] =>
  commands.filter(
    (c) => !["SMEMBERS", "HMGET", "HGET", "HGETALL", "EXISTS", "SSCAN", "SCARD", "TYPE"].includes(c),
  );

describe("deleting a referrer removes it from its stored target's reverse set", () => {
  it("as created (an instance in memory)", async () => {
    const ann = await Writer.create({ name: "Ann" });
    const essay = await Essay.create({ title: "e", writer: ann, words: 10 });
    expect(await essay.delete()).toBe(true);
    expect(await raw.exists(WRITER_ANN)).toBe(0);
    expect(await keysMentioning("Essay")).toEqual([]);
  });

  it("as loaded (a Reference in memory)", async () => {
    const ann = await Writer.create({ name: "Ann" });
    await Essay.create({ title: "e", writer: ann, words: 10 });
    await Essay.create({ title: "f", writer: ann, words: 10 });
    const essay = await Essay.load({ title: "e" });
    expect(essay?.writer).toBeInstanceOf(Reference);
    await essay!.delete();
    expect(await members(WRITER_ANN)).toEqual(["Essay:f"]);
    await expectExactReverseSets("Essay", ["writer"]);
  });

  it("with an unsaved change in memory: the stored target's set is cleaned, not the new one's", async () => {
    const ann = await Writer.create({ name: "Ann" });
    const ben = await Writer.create({ name: "Ben" });
    await Essay.create({ title: "b", writer: ben, words: 1 });
    const essay = await Essay.create({ title: "e", writer: ann, words: 10 });
    essay.writer = ben;
    await essay.delete();
    expect(await raw.exists(WRITER_ANN)).toBe(0);
    expect(await members(WRITER_BEN)).toEqual(["Essay:b"]);
  });

  it("with null in memory while a target is stored", async () => {
    const ann = await Writer.create({ name: "Ann" });
    const essay = await Essay.create({ title: "e", writer: ann, words: 10 });
    essay.writer = null;
    await essay.delete();
    expect(await raw.exists(WRITER_ANN)).toBe(0);
    expect(await raw.exists("$RelationshipF:Essay:writer:None")).toBe(0);
  });

  it("a stale copy (another writer reassigned it): the set it is really in is cleaned", async () => {
    const ann = await Writer.create({ name: "Ann" });
    const ben = await Writer.create({ name: "Ben" });
    await Essay.create({ title: "e", writer: ann, words: 10 });
    const stale = await Essay.load({ title: "e" });
    const other = await Essay.load({ title: "e" });
    other!.writer = ben;
    await other!.save();
    expect(await stale!.delete()).toBe(true);
    expect(await raw.exists(WRITER_BEN)).toBe(0);
    expect(await raw.exists(WRITER_ANN)).toBe(0);
    expect(await keysMentioning("Essay")).toEqual([]);
  });

  it("a stale copy from filter() (another writer cleared it): the None set is cleaned", async () => {
    const ann = await Writer.create({ name: "Ann" });
    await Essay.create({ title: "e", writer: ann, words: 10 });
    const [stale] = await Essay.query.filter({ writer: ann });
    const other = await Essay.load({ title: "e" });
    other!.writer = null;
    await other!.save();
    await stale!.delete();
    expect(await keysMentioning("Essay")).toEqual([]);
  });

  it("a hand-built instance with the key of a stored row", async () => {
    const ann = await Writer.create({ name: "Ann" });
    await Essay.create({ title: "e", writer: ann, words: 10 });
    expect(await new Essay({ title: "e" }).delete()).toBe(true);
    expect(await keysMentioning("Essay")).toEqual([]);
  });

  it("a referrer whose target was deleted first still leaves the old set", async () => {
    const ann = await Writer.create({ name: "Ann" });
    const essay = await Essay.create({ title: "e", writer: ann, words: 10 });
    await ann.delete();
    expect(await members(WRITER_ANN)).toEqual(["Essay:e"]);
    await essay.delete();
    expect(await allKeys()).toEqual([]);
  });

  it("a referrer with a null relationship leaves the None set; a second delete returns false", async () => {
    const essay = await Essay.create({ title: "e", words: 10 });
    expect(await members("$RelationshipF:Essay:writer:None")).toEqual(["Essay:e"]);
    expect(await essay.delete()).toBe(true);
    expect(await essay.delete()).toBe(false);
    expect(await allKeys()).toEqual([]);
  });
});

describe('onDelete "nothing" (the default)', () => {
  it("referrers keep the key and load it as null; the deleted target's reverse set stays", async () => {
    const ann = await Writer.create({ name: "Ann" });
    await Essay.create({ title: "e", writer: ann, words: 10 });
    const before = await hexOf("Essay:e", "writer");
    const { commands } = await countTraffic(() => ann.delete());
    expect(commands).toEqual(["EVALSHA"]);
    expect(await raw.exists("Writer:Ann")).toBe(0);
    expect(await hexOf("Essay:e", "writer")).toBe(before);
    expect(await members(WRITER_ANN)).toEqual(["Essay:e"]);
    const essay = await Essay.load({ title: "e" });
    expect(essay?.writer?.redisKey).toBe("Writer:Ann");
    expect(await essay?.writer?.load()).toBeNull();
    const [included] = await Essay.query.filter({ title: "e" }).include("writer");
    expect(included?.writer).toBeInstanceOf(Reference);
    expect((await Essay.query.filter({ writer: "Writer:Ann" })).map((e) => e.title)).toEqual(["e"]);
    expect(await Essay.query.filter({ writer__name: "Ann" })).toEqual([]);
  });

  it("deleting a target that was never saved returns false and writes nothing", async () => {
    const ghost = new Writer({ name: "Ghost" });
    await Essay.create({ title: "e", writer: ghost, words: 1 });
    const before = await dump();
    expect(await ghost.delete()).toBe(false);
    expect(await dump()).toEqual(before);
    expect(await members("$RelationshipF:Essay:writer:Writer:Ghost")).toEqual(["Essay:e"]);
  });

  it("deleting a never-saved target with cascading referrers does not throw", async () => {
    const ghost = new Shelf({ name: "Ghost" });
    expect(await ghost.delete()).toBe(false);
    expect(await allKeys()).toEqual([]);
  });
});

describe('onDelete "cascade"', () => {
  async function library(): Promise<Shelf> {
    const shelf = await Shelf.create({ name: "A" });
    const other = await Shelf.create({ name: "B" });
    const v1 = await Volume.create({ title: "v1", shelf, pages: 100 });
    await Volume.create({ title: "v2", shelf, pages: 200 });
    await Volume.create({ title: "keep", shelf: other, pages: 300 });
    const c1 = await Chapter.create({ id: "c1", volume: v1 });
    await Chapter.create({ id: "c2", volume: v1 });
    await Chapter.create({ id: "kept", volume: "Volume:keep" });
    await Footnote.create({ id: "f1", chapter: c1 });
    await Footnote.create({ id: "kept", chapter: "Chapter:kept" });
    return shelf;
  }

  it("deletes the referrers, and theirs, down the chain, with every index entry", async () => {
    const shelf = await library();
    expect(await shelf.delete()).toBe(true);
    const keys = await allKeys();
    expect(
      keys.filter((k) => /Shelf:A|Volume:v1|Volume:v2|Chapter:c1|Chapter:c2|Footnote:f1/.test(k)),
    ).toEqual([]);
    expect(keys.filter((k) => !k.startsWith("$Lex"))).toEqual([
      "$Class:Chapter",
      "$Class:Footnote",
      "$Class:Shelf",
      "$Class:Volume",
      "$KeyF:Chapter:id:kept",
      "$KeyF:Footnote:id:kept",
      "$KeyF:Shelf:name:B",
      "$KeyF:Volume:title:keep",
      "$RelationshipF:Chapter:volume:Volume:keep",
      "$RelationshipF:Footnote:chapter:Chapter:kept",
      "$RelationshipF:Volume:shelf:Shelf:B",
      "$SortF:Volume:pages",
      "Chapter:kept",
      "Footnote:kept",
      "Shelf:B",
      "Volume:keep",
    ]);
    expect(await zmembers("$SortF:Volume:pages")).toEqual({ "Volume:keep": 300 });
    expect(await members("$Class:Volume")).toEqual(["Volume:keep"]);
    for (const model of ["Volume", "Chapter", "Footnote"] as const)
      await expectExactReverseSets(model, [
        model === "Volume" ? "shelf" : model === "Chapter" ? "volume" : "chapter",
      ]);
  });

  it("is one atomic write on a standalone server (one EVALSHA), per-slot steps on a cluster", async () => {
    const shelf = await library();
    const { commands } = await countTraffic(() => shelf.delete());
    expectDeleteWrites(commands);
  });

  it("cascades through a referrer whose stored target differs from its in-memory copy", async () => {
    const shelf = await Shelf.create({ name: "A" });
    const other = await Shelf.create({ name: "B" });
    const stale = await Volume.create({ title: "v", shelf: other, pages: 1 });
    const moved = await Volume.load({ title: "v" });
    moved!.shelf = shelf;
    await moved!.save();
    expect(stale.shelf).toBe(other); // the stale copy still says B
    await shelf.delete();
    expect(await raw.exists("Volume:v")).toBe(0);
    expect(await raw.exists("Shelf:B")).toBe(1);
    expect(await keysMentioning("Volume:v")).toEqual([]);
  });

  it("a cycle of self references cascades once around and stops", async () => {
    const a = new Node({ name: "a" });
    const b = new Node({ name: "b" });
    a.parent = b;
    b.parent = a;
    await a.save();
    await b.save();
    const self = new Node({ name: "self" });
    self.parent = self;
    await self.save();
    await Node.create({ name: "child", parent: a });
    await Node.create({ name: "other" });
    expect(await a.delete()).toBe(true);
    expect(await members("$Class:Node")).toEqual(["Node:other", "Node:self"]);
    expect(await self.delete()).toBe(true);
    expect(await members("$Class:Node")).toEqual(["Node:other"]);
    expect((await allKeys()).filter((k) => k.startsWith("$RelationshipF:"))).toEqual([
      "$RelationshipF:Node:parent:None",
    ]);
  });

  it("a many-relationship with cascade deletes the referrers of any one of its targets", async () => {
    const red = await Label.create({ name: "red" });
    const blue = await Label.create({ name: "blue" });
    await Crate.create({ id: "both", labels: [red, blue] });
    await Crate.create({ id: "blue", labels: [blue] });
    await red.delete();
    expect(await members("$Class:Crate")).toEqual(["Crate:blue"]);
    expect(await members("$RelationshipF:Crate:labels:Label:blue")).toEqual(["Crate:blue"]);
    await expectExactReverseSets("Crate", ["labels"]);
  });

  it("renaming a target is not a delete: referrers stay, pointing at the old key", async () => {
    const shelf = await Shelf.create({ name: "A" });
    await Volume.create({ title: "v", shelf, pages: 1 });
    shelf.name = "Z";
    await shelf.save();
    expect(await raw.exists("Volume:v")).toBe(1);
    expect(await hexOf("Volume:v", "shelf")).toBe(mpstr(layoutKey("Shelf:A")));
    expect(await members("$RelationshipF:Volume:shelf:Shelf:A")).toEqual(["Volume:v"]);
  });

  it("referrers added concurrently with the delete are either deleted with it or left fully indexed", async () => {
    const shelf = await Shelf.create({ name: "A" });
    for (let i = 0; i < 5; i++) await Volume.create({ title: `old${i}`, shelf, pages: i });
    await Promise.all([
      shelf.delete(),
      ...Array.from({ length: 10 }, (_, i) =>
        Volume.create({ title: `new${i}`, shelf: "Shelf:A", pages: i }),
      ),
    ]);
    for (let i = 0; i < 5; i++) expect(await raw.exists(`Volume:old${i}`)).toBe(0);
    await expectExactReverseSets("Volume", ["shelf"]);
    for (const key of await members("$Class:Volume")) expect(await raw.exists(key)).toBe(1);
    expect(Object.keys(await zmembers("$SortF:Volume:pages")).sort()).toEqual(await members("$Class:Volume"));
  });
});

describe('onDelete "setNull"', () => {
  it("clears the field of every referrer, moves them to the None set, and touches nothing else", async () => {
    const reds = await Club.create({ name: "Reds" });
    await Fan.create({ name: "ann", club: reds, level: 3, note: "keep me" });
    await Fan.create({ name: "ben", club: reds, level: 5 });
    await Fan.create({ name: "cy", club: "Club:Blues", level: 7 });
    const annBefore = await raw.hgetallBuffer("Fan:ann");
    await reds.delete();
    expect(await hexOf("Fan:ann", "club")).toBe("c0");
    expect(await hexOf("Fan:ben", "club")).toBe("c0");
    expect(await hexOf("Fan:cy", "club")).toBe(mpstr(layoutKey("Club:Blues")));
    const annAfter = await raw.hgetallBuffer("Fan:ann");
    for (const field of ["name", "level", "note"])
      expect(annAfter[field]?.toString("hex")).toBe(annBefore[field]?.toString("hex"));
    expect(await raw.exists("$RelationshipF:Fan:club:Club:Reds")).toBe(0);
    expect(await members("$RelationshipF:Fan:club:None")).toEqual(["Fan:ann", "Fan:ben"]);
    expect(await zmembers("$SortF:Fan:level")).toEqual({ "Fan:ann": 3, "Fan:ben": 5, "Fan:cy": 7 });
    expect((await Fan.query.filter({ club__isnull: true })).map((f) => f.name).sort()).toEqual([
      "ann",
      "ben",
    ]);
    await expectExactReverseSets("Fan", ["club"]);
  });

  it("keeps a concurrent change of another field of the referrer", async () => {
    const reds = await Club.create({ name: "Reds" });
    const fan = await Fan.create({ name: "ann", club: reds, level: 3 });
    fan.note = "written just before";
    await Promise.all([fan.save(), reds.delete()]);
    expect(await hexOf("Fan:ann", "note")).toBe(mpstr("written just before"));
    await expectExactReverseSets("Fan", ["club"]);
  });

  it("moves a sorted field partitioned by the cleared relationship to the None partition", async () => {
    const reds = await Club.create({ name: "Reds" });
    await Seat.create({ id: "s1", club: reds, price: 10 });
    await Seat.create({ id: "s2", club: "Club:Blues", price: 20 });
    await reds.delete();
    expect(await raw.exists(`$SortF:Seat:price:${escapePart(layoutKey("Club:Reds"))}`)).toBe(0);
    expect(await zmembers("$SortF:Seat:price:None")).toEqual({ "Seat:s1": 10 });
    expect(await zmembers(`$SortF:Seat:price:${escapePart(layoutKey("Club:Blues"))}`)).toEqual({
      "Seat:s2": 20,
    });
    expect((await Seat.query.filter({ club: null, price__gte: 5 })).map((s) => s.id)).toEqual(["s1"]);
  });

  it("next to a cascade on the same target: fans cleared and badges deleted", async () => {
    const reds = await Club.create({ name: "Reds" });
    await Fan.create({ name: "ann", club: reds, level: 3 });
    await Badge.create({ id: "b1", club: reds });
    await Badge.create({ id: "b2", club: "Club:Blues" });
    const { commands } = await countTraffic(() => reds.delete());
    expectDeleteWrites(commands);
    expect(await hexOf("Fan:ann", "club")).toBe("c0");
    expect(await members("$Class:Badge")).toEqual(["Badge:b2"]);
    expect(await keysMentioning("Badge:b1", "Club:Reds")).toEqual([]);
  });

  it("on a many-relationship removes only the deleted target from each list", async () => {
    const red = await Label.create({ name: "red" });
    const blue = await Label.create({ name: "blue" });
    await Parcel.create({ id: "both", labels: [red, blue] });
    await Parcel.create({ id: "red", labels: [red] });
    await red.delete();
    expect((await Parcel.load({ id: "both" }))?.labels.map((l) => l.redisKey)).toEqual(["Label:blue"]);
    expect((await Parcel.load({ id: "red" }))?.labels).toEqual([]);
    expect(await raw.exists("$RelationshipF:Parcel:labels:Label:red")).toBe(0);
    expect(await members("$RelationshipF:Parcel:labels:Label:blue")).toEqual(["Parcel:both"]);
    expect(await members("$RelationshipF:Parcel:labels:None")).toEqual(["Parcel:red"]);
    await expectExactReverseSets("Parcel", ["labels"]);
  });
});

describe("a referrer that one delete reaches twice", () => {
  it("setNull on one field and cascade on another, to the same target: deleted, nothing left", async () => {
    const reds = await Club.create({ name: "Reds" });
    await Ticket.create({ id: "t", holder: reds, issuer: reds });
    await reds.delete();
    expect(await raw.exists("Ticket:t")).toBe(0);
    expect(await keysMentioning("Ticket")).toEqual([]);
  });

  it("setNull through a cascaded volume and cascade through the shelf: deleted, nothing left", async () => {
    const shelf = await Shelf.create({ name: "A" });
    const v1 = await Volume.create({ title: "v1", shelf, pages: 1 });
    await Review.create({ id: "r", volume: v1, shelf });
    await shelf.delete();
    expect(await raw.exists("Review:r")).toBe(0);
    expect(await keysMentioning("Review")).toEqual([]);
  });

  it("a many-relationship holding two cascaded volumes loses both, and its reverse sets follow", async () => {
    const shelf = await Shelf.create({ name: "A" });
    const v1 = await Volume.create({ title: "v1", shelf, pages: 1 });
    const v2 = await Volume.create({ title: "v2", shelf, pages: 2 });
    await Volume.create({ title: "v3", pages: 3 });
    await Shipment.create({ id: "s", volumes: [v1, v2, "Volume:v3"] });
    await shelf.delete();
    expect((await Shipment.load({ id: "s" }))?.volumes.map((v) => v.redisKey)).toEqual(["Volume:v3"]);
    await expectExactReverseSets("Shipment", ["volumes"]);
  });
});

describe('onDelete "protect"', () => {
  it("refuses while referrers exist: ProtectedError naming them, and nothing is written", async () => {
    const vault = await Vault.create({ name: "V" });
    await Deposit.create({ id: "d1", vault });
    await Deposit.create({ id: "d2", vault });
    const before = await dump();
    const { commands, result: error } = await countTraffic(() =>
      caught(() => vault.delete(), ProtectedError),
    );
    expect(error.code).toBe("PROTECTED");
    expect(error.key).toBe("Vault:V");
    expect([...error.referrers].sort()).toEqual(["Deposit:d1", "Deposit:d2"]);
    expect(writeCommands(commands)).toEqual([]);
    expect(await dump()).toEqual(before);
  });

  it("allows the delete once the referrers are gone or point elsewhere", async () => {
    const vault = await Vault.create({ name: "V" });
    const d1 = await Deposit.create({ id: "d1", vault });
    const d2 = await Deposit.create({ id: "d2", vault });
    await d1.delete();
    d2.vault = "Vault:Other" as unknown as Vault;
    await d2.save();
    expect(await vault.delete()).toBe(true);
    expect(await raw.exists("Vault:V")).toBe(0);
  });

  it("a protected referrer deep in a cascade stops the whole cascade", async () => {
    const shelf = await Shelf.create({ name: "A" });
    const v1 = await Volume.create({ title: "v1", shelf, pages: 1 });
    await Volume.create({ title: "v2", shelf, pages: 2 });
    await Chapter.create({ id: "c1", volume: v1 });
    await Loan.create({ id: "l1", volume: v1 });
    const before = await dump();
    const error = await caught(() => shelf.delete(), ProtectedError);
    expect(error.referrers).toEqual(["Loan:l1"]);
    expect(await dump()).toEqual(before);
  });
});
