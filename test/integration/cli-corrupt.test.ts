/**
 * The index tools on damaged data, through the CLI as a user runs it (a child process): corrupt
 * rows under `--corrupt=report|quarantine|delete`, keys of the wrong Redis type, and the bound on
 * what a check holds in memory. Test database (POPOTO_TEST_DB), fixtures of test/fixtures/cli-models.ts.
 */
import { expect, it } from "vitest";
import { Author, Book, createShelf } from "../fixtures/cli-models.js";
import { popotoCli } from "../support/cli.js";
import { dump, dumpKey } from "../support/inspect.js";
import { allKeys, raw, standaloneDescribe, useRedis } from "../support/redis.js";

useRedis();

const popoto = popotoCli("test/fixtures/cli-models.ts");
const TIMEOUT = 240_000;

async function library(): Promise<void> {
  const tolkien = await Author.create({ name: "Tolkien", country: "UK" });
  const hobbit = await Book.create({ title: "The Hobbit", author: tolkien, pages: 310 });
  const lotr = await Book.create({ title: "LOTR", author: tolkien, pages: 1178 });
  await Book.create({ title: "Silmarillion", author: tolkien, pages: 365 });
  await createShelf("favourites", [hobbit, lotr]);
}

/** A truncated msgpack value (uint16 with one byte) in a sorted field: the row does not decode. */
const CORRUPT_BYTES = Buffer.from([0xcd, 0x01]);
const corruptLotr = async (): Promise<Record<string, string>> => {
  await raw.hset("Book:LOTR", "pages", CORRUPT_BYTES);
  const dumped = await dumpKey("Book:LOTR");
  return "fields" in dumped ? dumped.fields : {};
};

/** Every index key and member naming `instance` (sets and sorted sets, lex members included). */
async function entriesNaming(instance: string): Promise<string[]> {
  const found: string[] = [];
  for (const key of await allKeys()) {
    const type = await raw.type(key);
    const members =
      type === "set" ? await raw.smembers(key) : type === "zset" ? await raw.zrange(key, 0, -1) : [];
    for (const member of members)
      if (member === instance || member.endsWith(`\0\0${instance}`)) found.push(key);
  }
  return found.sort();
}

interface CheckJson {
  ok: boolean;
  models: {
    model: string;
    instances: number;
    counts: Record<string, number>;
    differences: unknown[];
    corrupt: { key: string; field: string }[];
    wrongType: { key: string; actual: string; expected: string }[];
    truncated: boolean;
    peakHeld: number;
  }[];
}

const checkJson = async (
  ...extra: string[]
): Promise<{ code: number; book: CheckJson["models"][number] }> => {
  const run = await popoto("check", "--json", "--model", "Book", ...extra);
  expect(run.stderr).toBe("");
  return {
    code: run.code,
    book: (JSON.parse(run.stdout) as CheckJson).models[0] as CheckJson["models"][number],
  };
};

standaloneDescribe("the private cluster's keys are translated by the raw client; covered by test/cluster")(
  "corrupt rows through the CLI",
  () => {
    it(
      "check names the corrupt row; clean --corrupt=report lists it, exits 1 and changes nothing",
      async () => {
        await library();
        await corruptLotr();
        const before = await dump();
        const check = await popoto("check");
        expect(check.code).toBe(1);
        expect(check.stdout).toMatch(/^\s+corrupt\s+Book:LOTR\s+field "pages" does not decode$/m);
        expect(check.stdout).toMatch(/--corrupt=quarantine/);
        const clean = await popoto("clean", "--corrupt=report");
        expect(clean.code).toBe(1);
        expect(clean.stdout).toMatch(
          /left alone: Book:LOTR \(field "pages" does not decode\); --corrupt=quarantine or --corrupt=delete moves it/,
        );
        expect(clean.stdout).toMatch(/1 item\(s\) left in place/);
        expect(await dump()).toEqual(before);
      },
      TIMEOUT,
    );

    it(
      "rebuild --corrupt=quarantine moves the row byte for byte to $Quarantine:<key>, out of every index",
      async () => {
        await library();
        const bytes = await corruptLotr();
        const others = await dump();
        const run = await popoto("rebuild", "--corrupt=quarantine");
        expect(run.code).toBe(0);
        expect(run.stdout).toMatch(/quarantined Book:LOTR → \$Quarantine:Book:LOTR/);
        expect(await raw.exists("Book:LOTR")).toBe(0);
        expect(await dumpKey("$Quarantine:Book:LOTR")).toEqual({ type: "hash", fields: bytes });
        expect(bytes["pages"]).toBe("cd01");
        // The shelf still names the book (a relationship to a missing instance, as after a raw DEL):
        // the Shelf index that says so is about the shelf, and stays.
        expect(await entriesNaming("Book:LOTR")).toEqual([]);
        // Every other row is as it was, byte for byte; the indexes lost only Book:LOTR's entries.
        const after = await dump();
        for (const [key, value] of Object.entries(others))
          if (value.type === "hash" && key !== "Book:LOTR") expect(after[key], key).toEqual(value);
        const entries = (d: Record<string, { type: string }>): number =>
          Object.values(d).reduce(
            (n, v) => n + ("members" in v ? Object.keys(v.members as object).length : 0),
            0,
          );
        // class set, title set, author reverse set, pages sorted set
        expect(entries(others) - entries(after)).toBe(4);
        expect((await popoto("check")).code).toBe(0);
        expect((await Book.query.all()).map((b) => b.title).sort()).toEqual(["Silmarillion", "The Hobbit"]);
      },
      TIMEOUT,
    );

    it(
      "clean --corrupt=delete deletes the row and its entries; a second run changes nothing",
      async () => {
        await library();
        await corruptLotr();
        const run = await popoto("clean", "--corrupt=delete", "--json");
        expect(run.code).toBe(0);
        const result = (
          JSON.parse(run.stdout) as { models: { model: string; deleted: string[]; removed: number }[] }
        ).models.find((m) => m.model === "Book");
        expect(result?.deleted).toEqual(["Book:LOTR"]);
        // class set, title set, author reverse set, pages sorted set
        expect(result?.removed).toBe(4);
        expect(await raw.exists("Book:LOTR")).toBe(0);
        expect(await raw.exists("$Quarantine:Book:LOTR")).toBe(0);
        expect(await entriesNaming("Book:LOTR")).toEqual([]);
        const before = await dump();
        const again = await popoto("clean", "--corrupt=delete");
        expect(again.code).toBe(0);
        expect(again.stdout).toMatch(/Nothing to repair\./);
        expect(await dump()).toEqual(before);
        expect((await popoto("check")).code).toBe(0);
      },
      TIMEOUT,
    );
  },
);

standaloneDescribe("the private cluster's keys are translated by the raw client; covered by test/cluster")(
  "keys of the wrong Redis type through the CLI",
  () => {
    it(
      "rebuild deletes wrong-typed index keys and restores them; check exits 0 afterwards",
      async () => {
        await library();
        const pages = await dumpKey("$SortF:Book:pages");
        await raw.del("$KeyF:Book:title:LOTR", "$SortF:Book:pages");
        await raw.set("$KeyF:Book:title:LOTR", "not a set");
        await raw.rpush("$SortF:Book:pages", "not", "a", "zset");
        const check = await popoto("check");
        expect(check.code).toBe(1);
        expect(check.stdout).toMatch(
          /^\s+wrongtype\s+\$KeyF:Book:title:LOTR\s+holds a string, popoto keeps a set here$/m,
        );
        expect(check.stdout).toMatch(
          /^\s+wrongtype\s+\$SortF:Book:pages\s+holds a list, popoto keeps a zset here$/m,
        );
        const rebuild = await popoto("rebuild");
        expect(rebuild.code).toBe(0);
        expect(rebuild.stdout).toMatch(
          /deleted \$KeyF:Book:title:LOTR \(the wrong Redis type for an index\)/,
        );
        expect(rebuild.stdout).toMatch(/deleted \$SortF:Book:pages \(the wrong Redis type for an index\)/);
        expect(await dumpKey("$KeyF:Book:title:LOTR")).toEqual({ type: "set", members: ["Book:LOTR"] });
        expect(await dumpKey("$SortF:Book:pages")).toEqual(pages);
        const after = await popoto("check");
        expect(after.stdout).toMatch(/All indexes match the hashes/);
        expect(after.code).toBe(0);
      },
      TIMEOUT,
    );

    it(
      "an instance key of another type cannot be rebuilt: exit 1 naming it, until --corrupt moves it",
      async () => {
        await library();
        await raw.set("Book:Ghost", "not a hash");
        await raw.sadd("$Class:Book", "Book:Ghost");
        const rebuild = await popoto("rebuild");
        expect(rebuild.code).toBe(1);
        expect(rebuild.stdout).toMatch(/left alone: Book:Ghost \(holds a string, not a hash\)/);
        expect(await raw.get("Book:Ghost")).toBe("not a hash");
        const { code, book } = await checkJson();
        expect(code).toBe(1);
        expect(book.wrongType).toEqual([{ key: "Book:Ghost", actual: "string", expected: "hash" }]);
        const quarantined = await popoto("rebuild", "--corrupt=quarantine");
        expect(quarantined.code).toBe(0);
        expect(await raw.get("$Quarantine:Book:Ghost")).toBe("not a hash");
        expect(await raw.sismember("$Class:Book", "Book:Ghost")).toBe(0);
        expect((await popoto("check")).code).toBe(0);
      },
      TIMEOUT,
    );
  },
);

standaloneDescribe("counts items held on one server")("what check holds in memory", () => {
  /** N books by one author, and `ghosts` stale entries in the class set (large) and in title sets (small). */
  async function books(n: number, ghosts: number): Promise<void> {
    const tolkien = await Author.create({ name: "Tolkien", country: "UK" });
    await Book.bulkCreate(
      Array.from({ length: n }, (_, i) => ({ title: `t${i}`, author: tolkien, pages: i })),
    );
    for (let i = 0; i < ghosts; i++) {
      await raw.sadd("$Class:Book", `Book:ghost${i}`);
      await raw.sadd(`$KeyF:Book:title:ghost${i}`, `Book:ghost${i}`);
    }
  }

  it(
    "follows --batch-size, not the database: 4× the instances, the same peak; lists capped, counts exact",
    async () => {
      const BATCH = 25;
      const runs: CheckJson["models"][number][] = [];
      for (const n of [200, 800]) {
        await raw.flushdb();
        await books(n, n / 10);
        const { code, book } = await checkJson("--batch-size", String(BATCH), "--max-listed", "5");
        expect(code).toBe(1);
        expect(book.instances).toBe(n);
        // Every ghost is found: in the class set (larger than a batch, so checked by count and then
        // read member by member) and in its title set (read whole).
        expect(book.counts["stale"]).toBe((2 * n) / 10);
        expect(book.differences).toHaveLength(5);
        expect(book.truncated).toBe(true);
        runs.push(book);
      }
      const [small, large] = runs as [CheckJson["models"][number], CheckJson["models"][number]];
      // One batch of keys, their entries (a book has 4) and what was found in it, at most.
      expect(small.peakHeld).toBeLessThanOrEqual(BATCH * 8);
      expect(large.peakHeld).toBeLessThanOrEqual(BATCH * 8);
      // Had it held the database, 4× the instances would hold 4× the items.
      expect(large.peakHeld).toBeLessThan(2 * small.peakHeld);
    },
    TIMEOUT,
  );
});
