/**
 * onDelete (cascade, setNull, protect) of relationships declared on sharded models: reverse sets
 * live in the referrer's bucket, so a delete reads the reverse set of every bucket of the referring
 * model (only the parent's bucket for a model sharded by that relationship), and runs as the
 * per-slot delete steps of docs/storage.md §6. Raw keys are asserted on both topologies.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  IndexedField,
  KeyField,
  Model,
  ModelDefinitionError,
  ProtectedError,
  Relationship,
  UniqueField,
} from "../../src/index.js";
import { bucketOfText, bucketTag } from "../../src/keys/shards.js";
import { deleteSequenceHooks } from "../../src/model/delete-sequence.js";
import { DEFAULT_STEP_LIMITS } from "../../src/write/plan-delete.js";
import { allKeys, layoutKey, raw, useRedis } from "../support/redis.js";
import { caught } from "../support/inspect.js";

useRedis();

afterEach(() => {
  deleteSequenceHooks.beforeStep = undefined;
  deleteSequenceHooks.limits = DEFAULT_STEP_LIMITS;
});

const K = 24;
const tagOf = (id: string, model: string): string => bucketTag(model, bucketOfText(id, K), K);
const keyOf = (id: string, model: string): string => `${tagOf(id, model)}:${id}`;
const IDS = ["b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"];

class SodShelf extends Model("SodShelf", { name: KeyField() }) {}
class SodBook extends Model(
  "SodBook",
  {
    id: KeyField(),
    isbn: UniqueField({ null: true }),
    shelf: Relationship(SodShelf, { onDelete: "cascade", null: true }),
  },
  { shards: K },
) {}
class SodNote extends Model(
  "SodNote",
  {
    id: KeyField(),
    kind: IndexedField(),
    shelf: Relationship(SodShelf, { onDelete: "setNull", null: true }),
  },
  { shards: K },
) {}
class SodLock extends Model(
  "SodLock",
  { id: KeyField(), shelf: Relationship(SodShelf, { onDelete: "protect", null: true }) },
  { shards: K },
) {}
class SodHost extends Model("SodHost", { name: KeyField() }, { shards: K }) {}
class SodVisit extends Model(
  "SodVisit",
  { id: KeyField(), host: Relationship(SodHost, { onDelete: "cascade" }) },
  { shards: K, shardBy: "host" },
) {}

describe("onDelete on sharded models", () => {
  it("cascade deletes referrers in every bucket, with their index entries and unique claims", async () => {
    const shelf = await SodShelf.create({ name: "s" });
    const kept = await SodShelf.create({ name: "kept" });
    for (const [i, id] of IDS.entries()) await SodBook.create({ id, shelf, isbn: `i${i}` });
    await SodBook.create({ id: "other", shelf: kept });
    expect(new Set(IDS.map((id) => tagOf(id, "SodBook"))).size).toBeGreaterThan(1);
    expect(await shelf.delete()).toBe(true);
    for (const id of IDS) expect(await raw.exists(keyOf(id, "SodBook"))).toBe(0);
    expect(await SodBook.query.count()).toBe(1);
    const left = (await allKeys()).filter(
      (k) => k.includes("{SodBook#") && !k.startsWith("$UniqueFence:") && !k.includes("other"),
    );
    expect(left.sort()).toEqual(
      [
        `$Class:${tagOf("other", "SodBook")}`,
        // allKeys() spells keys the standalone way (test/support/cluster-keys.ts)
        `$RelationshipF:${tagOf("other", "SodBook")}:shelf:SodShelf:kept`,
        `$UniquF:${tagOf("other", "SodBook")}:isbn:None`,
      ].sort(),
    );
    expect(
      (await allKeys()).filter((k) => k.startsWith("$UniqueClaim:") || k.startsWith("$DeleteJournal:")),
    ).toEqual([]);
  });

  it("setNull clears referrers in every bucket", async () => {
    const shelf = await SodShelf.create({ name: "s" });
    for (const id of IDS) await SodNote.create({ id, kind: "k", shelf });
    await shelf.delete();
    const notes = await SodNote.query.filter({ kind: "k" });
    expect(notes).toHaveLength(IDS.length);
    for (const note of notes) expect(note.shelf).toBeNull();
    for (const id of IDS)
      expect(
        await raw.sismember(`$RelationshipF:${tagOf(id, "SodNote")}:shelf:None`, keyOf(id, "SodNote")),
      ).toBe(1);
    expect((await allKeys()).filter((k) => k.includes("shelf:SodShelf:s"))).toEqual([]);
  });

  it("protect refuses the delete when a referrer in any bucket points at the target", async () => {
    const shelf = await SodShelf.create({ name: "s" });
    await SodLock.create({ id: "l7", shelf });
    const error = await caught(() => shelf.delete());
    expect(error).toBeInstanceOf(ProtectedError);
    expect((error as ProtectedError).referrers).toEqual([keyOf("l7", "SodLock")]);
    expect(await raw.exists(layoutKey("SodShelf:s"))).toBe(1);
  });

  it("a model sharded by the relationship reads the parent's bucket only, and cascades there", async () => {
    const host = await SodHost.create({ name: "h1" });
    for (const id of IDS) await SodVisit.create({ id, host });
    const bucket = tagOf("h1", "SodVisit");
    expect(await raw.scard(`$RelationshipF:${bucket}:host:${keyOf("h1", "SodHost")}`)).toBe(IDS.length);
    await host.delete();
    expect(await SodVisit.query.count()).toBe(0);
    expect((await allKeys()).filter((k) => k.includes("SodVisit") || k.includes("SodHost"))).toEqual([]);
  });

  it("keeps a sharded target's journal in its bucket, and resumeDeletes() finds and finishes it", async () => {
    const host = await SodHost.create({ name: "h2" });
    for (const id of IDS) await SodVisit.create({ id, host });
    // small steps, and a crash before the second one
    deleteSequenceHooks.limits = { maxKeys: 6, maxArgs: 20_000 };
    deleteSequenceHooks.beforeStep = (info) => {
      if (info.index === 1) throw new Error("injected failure");
    };
    await expect(host.delete()).rejects.toThrow("injected failure");
    deleteSequenceHooks.beforeStep = undefined;
    const target = keyOf("h2", "SodHost");
    const journal = `$DeleteJournal:${tagOf("h2", "SodHost")}:${target}`;
    expect(await raw.hget(journal, "target")).toBe(target);
    expect(await SodVisit.query.count()).toBeGreaterThan(0);
    expect(await SodHost.resumeDeletes()).toEqual({ model: "SodHost", resumed: [target], refused: [] });
    expect(await SodVisit.query.count()).toBe(0);
    expect((await allKeys()).filter((k) => k.includes("SodVisit") || k.includes("SodHost"))).toEqual([]);
  });

  it("refuses onDelete setNull on the shardBy relationship at Model()", () => {
    const define = (): unknown =>
      Model(
        "SodBad",
        { id: KeyField(), host: Relationship(SodHost, { onDelete: "setNull", null: true }) },
        { shards: 4, shardBy: "host" },
      );
    expect(define).toThrow(ModelDefinitionError);
    expect(define).toThrow(/shardBy field and has onDelete "setNull".*"cascade" or "protect"/);
  });
});
