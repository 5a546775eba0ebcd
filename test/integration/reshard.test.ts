/**
 * Online reshard, end to end (docs/storage.md §7a "Resharding"): `Model.reshard({ shards })` and
 * `npx popoto reshard` move every instance of a sharded model to its bucket of the new layout,
 * re-point its unique claims, resume after an interruption, and refuse what they cannot move.
 * Raw keys are asserted on both topologies (a sharded model has one layout).
 */
import { execFile } from "node:child_process";
import { Redis } from "ioredis";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  KeyField,
  Model,
  Relationship,
  ReshardBusyError,
  ReshardInProgressError,
  ReshardRefusedError,
  SortedField,
  UniqueViolationError,
} from "../../src/index.js";
import { bucketOfText, bucketTag, fnv1a32 } from "../../src/keys/shards.js";
import type { ReshardProgress } from "../../src/shards/reshard.js";
import { caught } from "../support/inspect.js";
import {
  layoutKey,
  raw,
  signalClient,
  standaloneIt,
  TEST_URL,
  useRedis,
  workerTarget,
} from "../support/redis.js";
import { RsItem, RsParent } from "../support/reshard-models.js";
import { runWorker } from "../support/run-worker.js";

useRedis();

/** A model another model's relationship targets: its keys are stored by the referrer. */
class RsTarget extends Model("RsTarget", { id: KeyField() }, { shards: 2 }) {}
class RsReferrer extends Model("RsReferrer", { id: KeyField(), target: Relationship(RsTarget) }) {}
class RsFeed extends Model("RsFeed", { id: KeyField() }, { shards: 2, changes: true }) {}
class RsPlain extends Model("RsPlain", { id: KeyField() }) {}
class RsEvented extends Model(
  "RsEvented",
  { id: KeyField(), n: SortedField({ type: "int" }) },
  { shards: 2, events: true },
) {}

const COUNT = 2000;
const keyIn = (id: string, count: number): string =>
  `${bucketTag("RsItem", bucketOfText(id, count), count)}:${id}`;
const claimOf = (body: string): string =>
  `$UniqueClaim:{RsItem@${fnv1a32(`RsItem:${body}`).toString(16).padStart(8, "0")}}:${body}`;
const ids = Array.from({ length: COUNT }, (_, i) => `i${i}`);
const emailOf = (i: number): string | null => (i % 10 === 0 ? `u${i}@x` : null);

async function seed(): Promise<Map<string, Record<string, Buffer>>> {
  await RsParent.create({ id: "p1" });
  await RsItem.bulkCreate(
    ids.map((id, i) => ({
      id,
      score: i,
      kind: `k${i % 7}`,
      email: emailOf(i),
      parent: i % 3 === 0 ? "RsParent:p1" : null,
    })),
  );
  // One command per key, not a pipeline: on a cluster a pipeline must stay in one slot.
  const hashes = await Promise.all(ids.map((id) => raw.hgetallBuffer(keyIn(id, 4))));
  return new Map(ids.map((id, i) => [id, hashes[i] as Record<string, Buffer>]));
}

const members = async (key: string): Promise<string[]> => raw.smembers(key);

/** Every instance is at its layout-6 key, with its hash as before, once; layout 4 keeps only stayers. */
async function expectMoved(before: Map<string, Record<string, Buffer>>): Promise<void> {
  expect(await raw.hgetall(layoutKey("$Shards:RsItem"))).toEqual({ count: "6", epoch: "1" });
  const inSix = (
    await Promise.all(Array.from({ length: 6 }, (_, b) => members(`$Class:${bucketTag("RsItem", b, 6)}`)))
  ).flat();
  expect(inSix.length).toBe(COUNT);
  expect(new Set(inSix)).toEqual(new Set(ids.map((id) => keyIn(id, 6))));
  const inFour = (
    await Promise.all(Array.from({ length: 4 }, (_, b) => members(`$Class:${bucketTag("RsItem", b, 4)}`)))
  ).flat();
  const stayers = new Set(ids.filter((id) => keyIn(id, 4) === keyIn(id, 6)).map((id) => keyIn(id, 4)));
  for (const key of inFour) expect(stayers.has(key)).toBe(true);
  const after = await Promise.all(ids.map((id) => raw.hgetallBuffer(keyIn(id, 6))));
  const left = await Promise.all(ids.map((id) => raw.exists(keyIn(id, 4))));
  ids.forEach((id, i) => {
    expect(after[i]).toEqual(before.get(id));
    expect(left[i]).toBe(keyIn(id, 4) === keyIn(id, 6) ? 1 : 0);
  });
  for (const [i, id] of ids.entries()) {
    const email = emailOf(i);
    if (email !== null) expect(await raw.hget(claimOf(`email:${email}`), "holder")).toBe(keyIn(id, 6));
  }
  const report = await RsItem.checkIndexes();
  expect(report.instances).toBe(COUNT);
  expect(report.differences).toEqual([]);
  expect(report.misplaced).toEqual([]);
  // The claim, now naming the layout-6 key, still keeps the value to one instance.
  const taken = await caught(() => RsItem.create({ id: "fresh", score: 1, kind: "k", email: "u10@x" }));
  expect(taken).toBeInstanceOf(UniqueViolationError);
}

describe("online reshard", () => {
  it("moves every instance to its bucket of the new layout, claims re-pointed", async () => {
    const before = await seed();
    const seen: ReshardProgress[] = [];
    const result = await RsItem.reshard({ shards: 6, batchSize: 100, onProgress: (p) => seen.push(p) });
    expect(result).toMatchObject({ model: "RsItem", from: 4, to: 6, complete: true, resumed: false });
    const stayers = ids.filter((id) => keyIn(id, 4) === keyIn(id, 6)).length;
    expect(result.moved).toBe(COUNT - stayers);
    expect(seen.at(-1)).toMatchObject({ buckets: 4, total: COUNT, moved: COUNT - stayers });
    expect(seen.map((p) => p.bucket)).toEqual([...seen.map((p) => p.bucket)].sort((a, b) => a - b));
    // Every old bucket is retired for layout 4, so a process still writing layout 4 fails its guard.
    for (let b = 0; b < 4; b++)
      expect(await raw.sismember(`$Retired:${bucketTag("RsItem", b, 4)}`, "4")).toBe(1);
    await expectMoved(before);
  });

  it("resumes a move stopped midway, and tools refuse the model meanwhile", async () => {
    const before = await seed();
    const stop = new AbortController();
    const first = await RsItem.reshard({
      shards: 6,
      batchSize: 100,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.bucket >= 1) stop.abort();
      },
    });
    expect(first.complete).toBe(false);
    const record = await raw.hgetall(layoutKey("$Shards:RsItem"));
    expect(record).toMatchObject({ count: "4", to: "6", done: "0", moving: "1", epoch: "1" });
    expect(await raw.exists(layoutKey("$ShardsLock:RsItem"))).toBe(0);
    const refused = await caught(() => RsItem.checkIndexes(), ReshardInProgressError);
    expect(refused.code).toBe("RESHARD_IN_PROGRESS");
    expect(refused.message).toContain("--shards 6");
    // Another count while this move is unfinished is refused, and moves nothing.
    const other = await caught(() => RsItem.reshard({ shards: 8 }), ReshardRefusedError);
    expect(other.message).toContain("--shards 6");
    const second = await RsItem.reshard({ shards: 6, batchSize: 100 });
    expect(second).toMatchObject({ complete: true, resumed: true });
    await expectMoved(before);
    // Resharding again to the count it has moves nothing.
    expect(await RsItem.reshard({ shards: 6 })).toMatchObject({ complete: true, moved: 0, from: 6, to: 6 });
  });

  // Needs the write path's routing during a move (branch reshard-write: writes to a moving bucket
  // wait, to a done bucket go to layout 6, and the $Retired guard): without it, a write racing the
  // mover lands in layout 4 behind it and is lost. Unskip once that routing is merged.
  it("reshard under writes loses nothing", async () => {
    await seed();
    // A known script of operations: creates, updates, deletes, interleaved with the move.
    const expected = new Map<string, { score: number; kind: string } | null>(
      ids.map((id, i) => [id, { score: i, kind: `k${i % 7}` }]),
    );
    const writer = (async () => {
      for (let step = 0; step < 600; step++) {
        const id = ids[(step * 7) % COUNT] as string;
        if (step % 3 === 0) {
          const fresh = `n${step}`;
          await RsItem.create({ id: fresh, score: step, kind: "new", email: null, parent: null });
          expected.set(fresh, { score: step, kind: "new" });
        } else if (step % 3 === 1 && expected.get(id)) {
          const item = await RsItem.load({ id });
          if (item) {
            item.score = 100_000 + step;
            await item.save();
            expected.set(id, { score: 100_000 + step, kind: expected.get(id)?.kind ?? "" });
          }
        } else if (expected.get(id)) {
          const item = await RsItem.load({ id });
          if (item) {
            await item.delete();
            expected.set(id, null);
          }
        }
      }
    })();
    const moved = RsItem.reshard({ shards: 6, batchSize: 50 });
    await Promise.all([writer, moved]);
    for (const [id, state] of expected) {
      const six = keyIn(id, 6);
      const four = keyIn(id, 4);
      if (state === null) {
        expect(await raw.exists(six)).toBe(0);
        expect(await raw.exists(four)).toBe(0);
        continue;
      }
      expect(await raw.exists(six)).toBe(1);
      if (four !== six) expect(await raw.exists(four)).toBe(0);
      const item = await RsItem.load({ id });
      expect(item?.score).toBe(state.score);
      expect(item?.kind).toBe(state.kind);
    }
    const report = await RsItem.checkIndexes();
    expect(report.differences).toEqual([]);
    expect(report.instances).toBe([...expected.values()].filter((v) => v !== null).length);
  });

  it("reshard while other processes write loses nothing (they hold the old layout)", async () => {
    const before = await seed();
    const run = Math.random().toString(36).slice(2);
    const worker = fileURLToPath(new URL("../support/reshard-writer-worker.ts", import.meta.url));
    const signal = signalClient();
    let written: Record<string, { score: number; kind: string } | null>[];
    let result: Awaited<ReturnType<typeof RsItem.reshard>>;
    try {
      const finished = [0, 1].map((i) =>
        runWorker<Record<string, { score: number; kind: string } | null>>(
          worker,
          [workerTarget(), run, String(i), "2", "20000"],
          `writer ${i}`,
        ),
      );
      for (let i = 0; i < 2; i++)
        expect(await signal.blpop(`reshard:${run}:ready`, 120), "a writer became ready").not.toBeNull();
      await signal.rpush(`reshard:${run}:go:0`, "go");
      await signal.rpush(`reshard:${run}:go:1`, "go");
      for (let i = 0; i < 2; i++)
        expect(await signal.blpop(`reshard:${run}:started`, 120), "a writer began writing").not.toBeNull();
      // Both write before the move starts and until it has ended.
      const moving = RsItem.reshard({ shards: 6, batchSize: 50 });
      await moving.finally(() => signal.set(`reshard:${run}:stop`, "1"));
      [result, ...written] = await Promise.all([moving, ...finished]);
    } finally {
      await signal.del(`reshard:${run}:stop`);
      await signal.quit();
    }
    expect(result.moved).toBeGreaterThan(0);
    const expected = new Map<string, { score: number; kind: string } | null>(
      ids.map((id, i) => [id, { score: i, kind: `k${i % 7}` }]),
    );
    for (const changes of written) for (const [id, state] of Object.entries(changes)) expected.set(id, state);
    // Both writers deleted, updated and created while the move ran, from processes that began
    // with layout 4: every instance is once at its layout-6 key, as the writers left it.
    expect(written.every((w) => Object.values(w).some((v) => v === null))).toBe(true);
    for (const [id, state] of expected) {
      const six = keyIn(id, 6);
      const four = keyIn(id, 4);
      expect(await raw.exists(six), id).toBe(state === null ? 0 : 1);
      if (four !== six) expect(await raw.exists(four), id).toBe(0);
      if (state === null) continue;
      const item = await RsItem.load({ id });
      expect({ score: item?.score, kind: item?.kind }, id).toEqual(state);
      if (before.has(id) && state.score < COUNT) expect(await raw.hgetallBuffer(six)).toEqual(before.get(id));
    }
    const report = await RsItem.checkIndexes();
    expect(report.differences).toEqual([]);
    expect(report.misplaced).toEqual([]);
    expect(report.instances).toBe([...expected.values()].filter((v) => v !== null).length);
  }, 180_000);

  standaloneIt("subscribes with a plain client to the test database's server")(
    "publishes no model event for the instances it moves (their data does not change)",
    async () => {
      for (let i = 0; i < 60; i++) await RsEvented.create({ id: `v${i}`, n: i });
      const subscriber = new Redis(TEST_URL);
      const heard: string[] = [];
      try {
        await subscriber.subscribe("$ModelEvents:RsEvented");
        // Messages of one channel arrive in the order published: once the write made after the
        // move is heard, any event the move published has been heard before it.
        const afterHeard = new Promise<void>((resolve) =>
          subscriber.on("message", (_channel: string, message: string) => {
            heard.push(message);
            if (message.includes("after")) resolve();
          }),
        );
        const result = await RsEvented.reshard({ shards: 3 });
        expect(result.moved).toBeGreaterThan(0);
        await RsEvented.create({ id: "after", n: 1 });
        await afterHeard;
        expect(heard).toHaveLength(1);
      } finally {
        subscriber.disconnect();
      }
    },
  );

  it("refuses models it cannot move, and a second mover", async () => {
    const referred = await caught(() => RsTarget.reshard({ shards: 3 }), ReshardRefusedError);
    expect(referred.code).toBe("RESHARD_REFUSED");
    expect(referred.referrer).toEqual({ model: "RsReferrer", field: "target" });
    expect(referred.message).toContain("RsReferrer.target");
    void RsReferrer;
    const feed = await caught(() => RsFeed.reshard({ shards: 3 }), ReshardRefusedError);
    expect(feed.message).toContain("change feed");
    const plain = await caught(() => RsPlain.reshard({ shards: 3 }), ReshardRefusedError);
    expect(plain.message).toContain("export");
    const one = await caught(() => RsItem.reshard({ shards: 1 }), ReshardRefusedError);
    expect(one.message).toContain("2 to 1024");
    await raw.set(layoutKey("$ShardsLock:RsItem"), "someone", "PX", 30_000);
    const busy = await caught(() => RsItem.reshard({ shards: 6 }), ReshardBusyError);
    expect(busy.key).toBe(layoutKey("$ShardsLock:RsItem"));
    expect(await raw.hget(layoutKey("$Shards:RsItem"), "to")).toBeNull();
  });
});

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("popoto reshard", () => {
  standaloneIt("runs the CLI with --url; the cluster CLI is test/cluster/cli.test.ts")(
    "moves the model named and prints a summary",
    async () => {
      const { RsCliItem } = await import("../fixtures/reshard-models.js");
      for (let i = 0; i < 50; i++) await RsCliItem.create({ id: `c${i}` });
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [
            "--import",
            "tsx",
            "src/cli/main.ts",
            "reshard",
            "RsCliItem",
            "--shards",
            "3",
            "--models",
            "test/fixtures/reshard-models.ts",
            "--json",
            "--url",
            TEST_URL,
          ],
          { cwd: ROOT, env: { ...process.env, REDIS_URL: TEST_URL }, timeout: 90_000 },
          (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
        );
      });
      // The fixture still declares shards: 2, so the CLI says once that the stored layout has 3.
      expect(
        run.stderr.replace(/^.*POPOTO_SHARDS_MISMATCH.*declare shards: 3\.\n.*--trace-warnings.*\n/, ""),
      ).toBe("");
      expect(run.code).toBe(0);
      const json = JSON.parse(run.stdout) as { ok: boolean; models: { model: string; to: number }[] };
      expect(json).toMatchObject({ ok: true, models: [{ model: "RsCliItem", from: 2, to: 3 }] });
      for (let i = 0; i < 50; i++) {
        const id = `c${i}`;
        expect(await raw.exists(`${bucketTag("RsCliItem", bucketOfText(id, 3), 3)}:${id}`)).toBe(1);
      }
    },
  );
});
