/**
 * `popoto export` / `popoto import` (src/transfer, src/cli/commands/transfer.ts), run as child
 * processes under tsx against the test database (or the private cluster), with the models of
 * test/fixtures/transfer-models.ts: every field type and every index kind.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { withMicros } from "../../src/encoding/temporal.js";
import { Item, Note, Publisher, Tag } from "../fixtures/transfer-models.js";
import {
  allKeys,
  clusterUrls,
  flushTestData,
  hexOf,
  ON_CLUSTER,
  raw,
  TEST_URL,
  useRedis,
} from "../support/redis.js";

useRedis();

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MODELS = "test/fixtures/transfer-models.ts";

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `node --import tsx src/cli/main.ts <command> --models … <target> …extra`, `input` on stdin. */
const popoto = (command: string, input: string, ...extra: string[]): Promise<Run> =>
  new Promise((resolve, reject) => {
    const target = ON_CLUSTER ? ["--cluster", clusterUrls().join(",")] : ["--url", TEST_URL];
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", command, "--models", MODELS, ...target, ...extra],
      { cwd: ROOT, env: { ...process.env, REDIS_URL: TEST_URL }, timeout: 120_000 },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });

/** Every key with its type and its whole content as bytes (hex), members sorted: the database's state. */
async function snapshot(): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  for (const key of await allKeys()) {
    const type = await raw.type(key);
    if (type === "hash") {
      const hash = await raw.hgetallBuffer(key);
      state[key] = Object.entries(hash)
        .map(([field, value]) => `${field}=${value.toString("hex")}`)
        .sort();
    } else if (type === "set") state[key] = (await raw.smembers(key)).sort();
    else if (type === "zset") state[key] = await raw.zrange(key, 0, -1, "WITHSCORES");
    else state[key] = `unexpected ${type}`;
    expect(await raw.ttl(key), key).toBe(-1);
  }
  return state;
}

async function library(): Promise<void> {
  const penguin = await Publisher.create({ name: "Penguin", city: "new-york" });
  const note = await Note.create({ text: "first" });
  const other = await Note.create({ text: "second" });
  const tag = await Tag.create({ label: "sale" });
  await Item.create({
    sku: "a:b-c*d",
    edition: 2,
    name: "Everything",
    count: -3,
    big: 2 ** 40,
    ratio: 0.1,
    zero: -0,
    active: true,
    blob: Buffer.from([0, 255, 10, 13]),
    // Nested values JSON lacks, and a dict that looks like a tag.
    parts: [
      1,
      2.5,
      "x",
      null,
      new Date("2021-05-06T07:08:09.010Z"),
      new Set(["s"]),
      Buffer.from("hi"),
      { $b: 1 },
    ],
    meta: { $ref: "top-level", nested: { deep: [true, { $set: "not a set" }] }, "": "empty name" },
    labels: new Set(["red", 7]),
    pair: ["a", 1],
    price: "1.10",
    released: new Date("2020-01-02T00:00:00Z"),
    updated: withMicros(new Date("2020-01-02T03:04:05.678Z"), 901),
    opens: "01:02:03.000004",
    rank: "12.50",
    seen: new Date("1969-07-20T20:17:40.000Z"),
    category: "café {x} 東京",
    code: 42,
    place: { latitude: 51.5, longitude: -0.12 },
    publisher: penguin,
    notes: [note, other],
    tags: [tag],
    maybe: null,
  });
  await Item.create({
    sku: "plain",
    edition: 1,
    name: "",
    count: 0,
    big: -(2 ** 53 - 1),
    ratio: 1e21,
    zero: 0,
    active: false,
    blob: new Uint8Array(),
    parts: [],
    meta: {},
    labels: new Set(),
    pair: [],
    price: "0.0000001",
    released: new Date("0001-01-01T00:00:00Z"),
    updated: withMicros(new Date("9999-12-31T23:59:59.999Z"), 999),
    opens: "00:00:00",
    rank: "-3",
    seen: new Date(0),
    category: "x",
    code: 7,
    place: null,
    publisher: penguin,
    notes: [],
    tags: [],
    maybe: "None",
  });
}

describe("popoto export / import", () => {
  it("round-trips every field type and index: export, flush, import gives the same bytes and entries", async () => {
    await library();
    const before = await snapshot();
    // The raw form the round trip must keep: microseconds, -0.0, a partitioned decimal score.
    expect(await hexOf("Item:2:a{&#58;}b/-c/*d", "zero")).toBe("cb8000000000000000");
    // The partition part is the related key escaped as one part: `{Publisher}{&#58;}…` on a cluster.
    expect(Object.keys(before)).toContain(
      `$SortF:Item:rank:${ON_CLUSTER ? "{Publisher}" : "Publisher"}{&#58;}new///-york{&#58;}Penguin`,
    );
    expect((await raw.hgetBuffer("Item:2:a{&#58;}b/-c/*d", "updated"))?.toString("latin1")).toContain(
      "20200102T03:04:05.678901",
    );
    // Every kind of index structure is in the data the round trip must rebuild.
    const kinds = new Set(Object.keys(before).map((key) => key.split(":")[0]));
    expect([...kinds].sort()).toEqual(
      [
        "$Class",
        "$GeoF",
        "$IndexF",
        "$KeyF",
        "$LexF",
        "$LexRevF",
        "$RelationshipF",
        "$SortF",
        "$SortedKeyF",
        "$UniqueKeyF",
        "$UniquF",
        "Item",
        "Note",
        "Publisher",
        "Tag",
      ].sort(),
    );

    const exported = await popoto("export", "");
    expect(exported.stderr).toBe("popoto export: 6 instances of 4 model(s)\n");
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(6);
    const item = lines
      .map((line) => JSON.parse(line) as { model: string; key: string; values: Record<string, unknown> })
      .find((line) => line.key === "Item:2:a{&#58;}b/-c/*d");
    expect(item?.values).toMatchObject({
      zero: "-0",
      blob: "AP8KDQ==",
      updated: "2020-01-02T03:04:05.678901Z",
      released: "2020-01-02",
      opens: "01:02:03.000004",
      price: "1.10",
      labels: ["red", 7],
      place: { latitude: 51.5, longitude: -0.12 },
      publisher: "Publisher:new/-york:Penguin",
      maybe: null,
      parts: [
        1,
        2.5,
        "x",
        null,
        { $datetime: "2021-05-06T07:08:09.010000Z" },
        { $set: ["s"] },
        { $bytes: "aGk=" },
        { $dict: { $b: 1 } },
      ],
    });

    await flushTestData();
    expect(await allKeys()).toEqual([]);
    const imported = await popoto("import", exported.stdout);
    expect(imported.stderr).toBe("popoto import: 6 instances written from 6 line(s)\n");
    expect(imported.code).toBe(0);
    expect(await snapshot()).toEqual(before);
  });

  it("reports a bad line by its number and writes nothing of it; the good lines are imported", async () => {
    await library();
    const good = (await popoto("export", "", "--model", "Publisher")).stdout.trimEnd().split("\n");
    expect(good).toHaveLength(1);
    await flushTestData();
    const badValue = JSON.stringify({
      model: "Publisher",
      key: "Publisher:Bad",
      values: { name: "Bad", city: 12 },
    });
    const badKey = JSON.stringify({
      model: "Publisher",
      key: "Publisher:Other",
      values: { name: "Renamed", city: "x" },
    });
    const input = [
      good[0],
      badValue,
      "{not json",
      "",
      badKey,
      JSON.stringify({ model: "Nope", values: {} }),
    ].join("\n");
    const run = await popoto("import", input);
    expect(run.code).toBe(1);
    const messages = run.stderr.split("\n");
    expect(messages[0]).toBe("popoto import: line 2: Publisher cannot be saved: 1 invalid field");
    expect(run.stderr).toContain("Publisher.city: expected string");
    expect(run.stderr).toMatch(/line 3: not JSON/);
    expect(run.stderr).toMatch(/line 5: "key" is "Publisher:Other" but the values give Publisher:x:Renamed/);
    expect(run.stderr).toMatch(/line 6: unknown model "Nope"/);
    expect(run.stderr).toContain("popoto import: 1 instance written from 6 line(s), 4 bad lines not written");
    // Only the good line's keys: nothing of the bad ones, index entries included.
    expect(await allKeys()).toEqual([
      "$Class:Publisher",
      "$KeyF:Publisher:city:new/-york",
      "$LexF:Publisher:city",
      "$LexRevF:Publisher:city",
      "$UniqueKeyF:Publisher:name:Penguin",
      "Publisher:new/-york:Penguin",
    ]);
  });

  it("--model limits the export, and the import skips lines of models not selected", async () => {
    await library();
    const all = (await popoto("export", "")).stdout;
    const notes = await popoto("export", "", "--model", "Note");
    expect(
      notes.stdout
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { model: string }).model),
    ).toEqual(["Note", "Note"]);
    await flushTestData();
    const run = await popoto("import", all, "--model", "Tag");
    expect(run.stderr).toBe("popoto import: 1 instance written from 6 line(s), 5 of other models skipped\n");
    expect(await Tag.query.count()).toBe(1);
    expect(await Item.query.count()).toBe(0);
  });
});
