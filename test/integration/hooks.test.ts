/**
 * Lifecycle hooks (preSave, postSave, preDelete, postDelete) against the real Redis: a pre-hook
 * can change values or cancel (no key written or deleted), a post-hook runs only after Redis
 * committed (it sees the key stored, or gone) and never for a failed write, and the bulk and
 * key-based operations run exactly the hooks README "Lifecycle hooks" says.
 */
import { beforeEach, describe, expect, it } from "vitest";
import {
  Field,
  HookError,
  IntField,
  KeyConflictError,
  KeyField,
  Model,
  Relationship,
  UniqueField,
  UniqueViolationError,
} from "../../src/index.js";
import { caught } from "../support/inspect.js";
import { allKeys, raw, useRedis } from "../support/redis.js";

useRedis();

/** What the hooks did, in order: `<hook> <slug>`, post-hooks with whether Redis held the key then. */
const log: string[] = [];

beforeEach(() => {
  log.length = 0;
});

class Note extends Model("HookNote", {
  slug: KeyField(),
  body: Field(),
  words: IntField({ default: 0 }),
  email: UniqueField({ null: true }),
  views: IntField({ default: 0 }),
}) {
  override async preSave(): Promise<void> {
    await Promise.resolve(); // an async hook is awaited before anything is planned
    if (this.body === "cancel") throw new Error("cancelled by preSave");
    this.words = this.body.split(" ").length;
    log.push(`preSave ${this.slug}`);
  }

  override async postSave(): Promise<void> {
    log.push(`postSave ${this.slug} stored=${await raw.exists(this.redisKey)}`);
    if (this.body === "fail after") throw new Error("mail server down");
  }

  override preDelete(): void {
    if (this.body === "keep") throw new Error("kept by preDelete");
    log.push(`preDelete ${this.slug}`);
  }

  override async postDelete(): Promise<void> {
    log.push(`postDelete ${this.slug} stored=${await raw.exists(this.redisKey)}`);
  }
}

class Comment extends Model("HookComment", {
  id: KeyField(),
  note: Relationship(Note, { onDelete: "cascade" }),
}) {
  override preDelete(): void {
    log.push(`preDelete ${this.id}`);
  }

  override postDelete(): void {
    log.push(`postDelete ${this.id}`);
  }
}

describe("save hooks", () => {
  it("preSave changes values before validation and planning: the stored hash holds them", async () => {
    const note = await Note.create({ slug: "a", body: "three little words" });
    expect(note.words).toBe(3);
    expect((await Note.load({ slug: "a" }))?.words).toBe(3);
    note.body = "now four little words";
    await note.save();
    expect((await Note.load({ slug: "a" }))?.words).toBe(4);
    expect(log).toEqual(["preSave a", "postSave a stored=1", "preSave a", "postSave a stored=1"]);
  });

  it("a preSave that throws cancels create() and save(): its error, no key written", async () => {
    const error = await caught(() => Note.create({ slug: "a", body: "cancel" }), Error);
    expect(error.message).toBe("cancelled by preSave");
    expect(await allKeys()).toEqual([]);
    await expect(new Note({ slug: "b", body: "cancel" }).save()).rejects.toThrow("cancelled by preSave");
    expect(await allKeys()).toEqual([]);
    expect(log).toEqual([]);
  });

  it("a preSave that throws on a stored instance leaves its hash as it was", async () => {
    const note = await Note.create({ slug: "a", body: "kept as is" });
    const before = await raw.hgetallBuffer("HookNote:a");
    note.body = "cancel";
    await expect(note.save()).rejects.toThrow("cancelled by preSave");
    expect(await raw.hgetallBuffer("HookNote:a")).toEqual(before);
  });

  it("postSave does not run when the write fails (key conflict, unique value taken)", async () => {
    await Note.create({ slug: "a", body: "first", email: "ann@example.com" });
    log.length = 0;
    await caught(() => Note.create({ slug: "a", body: "second" }), KeyConflictError);
    await caught(
      () => new Note({ slug: "b", body: "x", email: "ann@example.com" }).save(),
      UniqueViolationError,
    );
    expect(log).toEqual(["preSave a", "preSave b"]);
    expect(await raw.exists("HookNote:b")).toBe(0);
  });

  it("a postSave that throws is a HookError: the write stands", async () => {
    const error = await caught(() => Note.create({ slug: "a", body: "fail after" }), HookError);
    expect(error.code).toBe("HOOK");
    expect(error.hook).toBe("postSave");
    expect(error.key).toBe("HookNote:a");
    expect(error.model).toBe("HookNote");
    expect((error.cause as Error).message).toBe("mail server down");
    expect(error.message).toContain("HookNote:a was saved, but its postSave() threw: mail server down");
    expect(await raw.exists("HookNote:a")).toBe(1);
  });

  it("getOrCreate and updateOrCreate run the hooks of the save they make, and none when they only find", async () => {
    await Note.getOrCreate({ slug: "a" }, { body: "made here" });
    expect(log).toEqual(["preSave a", "postSave a stored=1"]);
    log.length = 0;
    await Note.getOrCreate({ slug: "a" }, { body: "ignored" });
    expect(log).toEqual([]);
    await Note.updateOrCreate({ slug: "a" }, { body: "updated in place" });
    expect(log).toEqual(["preSave a", "postSave a stored=1"]);
  });

  it("atomicIncrement runs no hooks (computed in Redis, no instance validated)", async () => {
    const note = await Note.create({ slug: "a", body: "x" });
    log.length = 0;
    await note.atomicIncrement("views", 2);
    expect(log).toEqual([]);
  });
});

describe("bulk saves", () => {
  it("bulkCreate runs preSave on every item first; one throwing writes nothing", async () => {
    const items = [
      { slug: "a", body: "fine" },
      { slug: "b", body: "cancel" },
      { slug: "c", body: "fine" },
    ];
    await expect(Note.bulkCreate(items)).rejects.toThrow("cancelled by preSave");
    expect(await allKeys()).toEqual([]);
    expect(log.filter((line) => line.startsWith("postSave"))).toEqual([]);
  });

  it("bulkCreate and bulkUpdate run postSave on each instance after its write", async () => {
    const notes = await Note.bulkCreate([
      { slug: "a", body: "one" },
      { slug: "b", body: "two words" },
    ]);
    expect(log.sort()).toEqual(["postSave a stored=1", "postSave b stored=1", "preSave a", "preSave b"]);
    log.length = 0;
    for (const note of notes) note.body = "now three words";
    expect(await Note.bulkUpdate(notes)).toBe(2);
    expect(log.sort()).toEqual(["postSave a stored=1", "postSave b stored=1", "preSave a", "preSave b"]);
    expect((await Note.load({ slug: "b" }))?.words).toBe(3);
  });

  it("a bulk write failing part-way: written instances run postSave, the failed and unsent ones do not", async () => {
    await Note.create({ slug: "holder", body: "x", email: "taken@example.com" });
    log.length = 0;
    const items = [
      { slug: "a", body: "fine" },
      { slug: "b", body: "clash", email: "taken@example.com" },
      { slug: "c", body: "never sent" },
    ];
    await caught(() => Note.bulkCreate(items, { batchSize: 1 }), UniqueViolationError);
    expect(log.filter((line) => line.startsWith("postSave"))).toEqual(["postSave a stored=1"]);
    expect(await raw.exists("HookNote:a", "HookNote:b", "HookNote:c")).toBe(1);
  });
});

describe("delete hooks", () => {
  it("delete() runs preDelete before and postDelete after the key is gone", async () => {
    const note = await Note.create({ slug: "a", body: "x" });
    log.length = 0;
    expect(await note.delete()).toBe(true);
    expect(log).toEqual(["preDelete a", "postDelete a stored=0"]);
  });

  it("a preDelete that throws cancels: nothing deleted", async () => {
    const note = await Note.create({ slug: "a", body: "keep" });
    const before = (await allKeys()).sort();
    await expect(note.delete()).rejects.toThrow("kept by preDelete");
    expect((await allKeys()).sort()).toEqual(before);
    expect(await raw.exists("HookNote:a")).toBe(1);
  });

  it("postDelete does not run when nothing was stored", async () => {
    expect(await new Note({ slug: "never", body: "x" }).delete()).toBe(false);
    expect(log).toEqual(["preDelete never"]);
  });

  it("deletes by key run no hooks: bulkDelete, query delete, deleteAll, onDelete cascades", async () => {
    const notes = await Note.bulkCreate(["a", "b", "c", "d"].map((slug) => ({ slug, body: "x" })));
    await Comment.create({ id: "c1", note: notes[3] as Note });
    log.length = 0;
    expect(await Note.bulkDelete([notes[0] as Note, "HookNote:b"])).toBe(2);
    expect(await Note.query().filter({ slug: "c" }).delete()).toBe(1);
    await (notes[3] as Note).delete(); // its own hooks run; the cascaded comment's do not
    expect(await raw.exists("HookComment:c1")).toBe(0);
    expect(log).toEqual(["preDelete d", "postDelete d stored=0"]);
    await Note.create({ slug: "e", body: "x" });
    log.length = 0;
    expect(await Note.deleteAll()).toBe(1);
    expect(log).toEqual([]);
    expect(await allKeys()).toEqual([]);
  });
});
