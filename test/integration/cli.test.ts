/**
 * The operator CLI (src/cli/main.ts), run as a child process under tsx against the test database,
 * with the models of test/fixtures/cli-models.ts (which import popoto's sources, as the CLI does).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createProgress } from "../../src/cli/progress.js";
import { formatTable } from "../../src/cli/table.js";
import { Author, Book, createShelf } from "../fixtures/cli-models.js";
import { allKeys, raw, TEST_URL, useRedis } from "../support/redis.js";

useRedis();

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MODELS = "test/fixtures/cli-models.ts";

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node --import tsx src/cli/main.ts …args` from the repository root. */
const cli = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      // REDIS_URL too, so a run without --url can only ever reach the test database.
      { cwd: ROOT, env: { ...process.env, REDIS_URL: TEST_URL }, timeout: 90_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    );
  });

/** `popoto <command> --models <fixture> --url <test db> …extra`. */
const popoto = (command: string, ...extra: string[]): Promise<Run> =>
  cli(command, "--models", MODELS, "--url", TEST_URL, ...extra);

/** As `popoto`, with `--json`, parsed. */
const popotoJson = async <T>(command: string, ...extra: string[]): Promise<{ code: number; json: T }> => {
  const run = await popoto(command, "--json", ...extra);
  expect(run.stderr).toBe("");
  return { code: run.code, json: JSON.parse(run.stdout) as T };
};

interface CheckJson {
  ok: boolean;
  models: {
    model: string;
    instances: number;
    differences: { kind: string; index: string; member: string }[];
  }[];
}
interface RepairJson {
  models: { model: string; removed: number; added: number; purged: number }[];
}
interface InspectJson {
  models: {
    model: string;
    instances: number;
    instanceMemory: { sampled: number; estimatedBytes: number };
    indexKeys: number;
    indexEntries: number;
    structures: { kind: string; keys: number; entries: number; memoryBytes: number }[];
  }[];
}

async function library(): Promise<void> {
  const tolkien = await Author.create({ name: "Tolkien", country: "UK" });
  const hobbit = await Book.create({ title: "The Hobbit", author: tolkien, pages: 310 });
  const lotr = await Book.create({ title: "LOTR", author: tolkien, pages: 1178 });
  await createShelf("favourites", [hobbit, lotr]);
}

describe("popoto CLI", () => {
  it("exits 2 with a helpful message on usage errors, 0 on --help", async () => {
    const [none, unknown, noModels, badName, noFile, badOption, help] = await Promise.all([
      cli(),
      cli("frob", "--models", MODELS),
      cli("check"),
      cli("check", "--models", MODELS, "--model", "Nope"),
      cli("check", "--models", "test/fixtures/absent.js"),
      cli("check", "--models", MODELS, "--verbose"),
      cli("--help"),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /No command given: use one of check, clean, rebuild, migrate, repair, inspect/,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown command "frob"/);
    expect(noModels.code).toBe(2);
    expect(noModels.stderr).toMatch(/Missing --models/);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/Unknown model "Nope": .* has Author, Book, Shelf/);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toMatch(/no such file/);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/--verbose/);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: popoto <command> --models <module>/);
    expect(help.stdout).toMatch(/Exit codes:/);
  });

  it("check on consistent data exits 0 and covers exported and registered models", async () => {
    await library();
    const text = await popoto("check");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^model\s+instances\s+index keys\s+entries\s+missing\s+stale\s+score\s+misplaced$/m,
    );
    expect(text.stdout).toMatch(/^Book\s+2\s+\d+\s+\d+\s+0\s+0\s+0\s+0$/m);
    expect(text.stdout).toMatch(/All indexes match the hashes/);
    const { code, json } = await popotoJson<CheckJson>("check");
    expect(code).toBe(0);
    expect(json.ok).toBe(true);
    // Shelf is not exported by the fixture: found in the registry its import filled.
    expect(json.models.map((m) => [m.model, m.instances])).toEqual([
      ["Author", 1],
      ["Book", 2],
      ["Shelf", 1],
    ]);
  });

  it("a stale entry: check exits 1 and names it, --model limits, clean removes it", async () => {
    await library();
    await raw.sadd("$KeyF:Book:title:Ghost", "Book:Ghost");
    const found = await popoto("check");
    expect(found.code).toBe(1);
    expect(found.stdout).toMatch(/^\s+stale\s+\$KeyF:Book:title:Ghost\s+Book:Ghost/m);
    expect(found.stdout).toMatch(/popoto clean/);
    expect((await popoto("check", "--model", "Author", "--model", "Shelf")).code).toBe(0);

    const cleaned = await popotoJson<RepairJson>("clean");
    expect(cleaned.code).toBe(0);
    expect(cleaned.json.models.find((m) => m.model === "Book")).toMatchObject({ removed: 1, purged: 1 });
    expect(await raw.exists("$KeyF:Book:title:Ghost")).toBe(0);
    expect((await popoto("check")).code).toBe(0);
  });

  it("rebuild adds a missing entry", async () => {
    await library();
    await raw.srem("$RelationshipF:Book:author:Author:Tolkien", "Book:The Hobbit");
    const before = await popotoJson<CheckJson>("check", "--model", "Book");
    expect(before.code).toBe(1);
    expect(before.json.models[0]?.differences).toEqual([
      expect.objectContaining({
        kind: "missing",
        index: "$RelationshipF:Book:author:Author:Tolkien",
        member: "Book:The Hobbit",
      }),
    ]);
    const rebuilt = await popoto("rebuild");
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/^Book\s+0\s+1\s+0\s+0$/m);
    expect(await raw.sismember("$RelationshipF:Book:author:Author:Tolkien", "Book:The Hobbit")).toBe(1);
    expect((await popoto("check")).code).toBe(0);
  });

  it("inspect prints the counts Redis holds, and memory", async () => {
    await library();
    const { code, json } = await popotoJson<InspectJson>("inspect");
    expect(code).toBe(0);
    // Count every index key by (model, kind) with the raw client, and compare.
    const expected = new Map<string, { keys: number; entries: number }>();
    for (const key of (await allKeys()).filter((k) => k.startsWith("$"))) {
      const [kind, model] = key.split(":") as [string, string];
      const type = await raw.type(key);
      const entries = type === "set" ? await raw.scard(key) : await raw.zcard(key);
      const stats = expected.get(`${model} ${kind}`) ?? { keys: 0, entries: 0 };
      expected.set(`${model} ${kind}`, { keys: stats.keys + 1, entries: stats.entries + entries });
    }
    const reported = new Map(
      json.models.flatMap((m) =>
        m.structures
          .filter((s) => s.keys > 0)
          .map((s) => [`${m.model} ${s.kind}`, { keys: s.keys, entries: s.entries }]),
      ),
    );
    expect(reported).toEqual(expected);
    expect(expected.get("Shelf $RelationshipF")).toEqual({ keys: 2, entries: 2 });
    for (const m of json.models) {
      expect(m.instances).toBe(await raw.scard(`$Class:${m.model}`));
      expect(m.instanceMemory.sampled).toBe(m.instances);
      expect(m.instanceMemory.estimatedBytes).toBeGreaterThan(0);
      expect(m.structures.filter((s) => s.keys > 0).every((s) => s.memoryBytes > 0)).toBe(true);
    }
    const text = await popoto("inspect", "--model", "Book");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Book\s+2\s+~\d+ B\s+\d+\s+\d+\s+[\d.]+ (B|KiB)$/m);
    expect(text.stdout).toMatch(/^Book\s+\$SortF\s+zset\s+1\s+2\s+\d+ B$/m);
    expect(text.stdout).toMatch(/estimated from up to 200 sampled instances/);
  });

  it("exits 3 when Redis cannot be reached", async () => {
    const run = await cli("check", "--models", MODELS, "--url", "redis://127.0.0.1:1/7");
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /could not connect to Redis at redis:\/\/127\.0\.0\.1:1\/7: nothing is listening/,
    );
  });
});

describe("CLI output helpers", () => {
  it("the progress line is drawn on a terminal only, throttled, and erased", () => {
    const written: string[] = [];
    let time = 0;
    const tty = { isTTY: true, columns: 80, write: (text: string) => written.push(text) > 0 };
    const progress = createProgress(tty, () => time);
    const report = progress.model("Book", 10);
    time += 100;
    report("hashes", 5, 5);
    report("hashes", 6, 6); // within the interval: not drawn
    time += 100;
    report("indexes", 3, 3);
    progress.clear();
    expect(written).toEqual([
      "\rBook  reading\x1b[K",
      "\rBook  hashes read: [##########----------] 5/10\x1b[K",
      "\rBook  indexes read: 3\x1b[K",
      "\r\x1b[K",
    ]);
    const piped: string[] = [];
    const quiet = createProgress({ write: (text: string) => piped.push(text) > 0 });
    quiet.model("Book", 10)("hashes", 5, 5);
    quiet.clear();
    expect(piped).toEqual([]);
  });

  it("tables right-align numeric columns", () => {
    expect(
      formatTable(
        ["model", "n"],
        [
          ["Book", 12],
          ["Author", 3],
        ],
      ).split("\n"),
    ).toEqual(["model    n", "Book    12", "Author   3"]);
  });
});
