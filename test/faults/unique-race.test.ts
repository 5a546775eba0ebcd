/**
 * Fault: two processes, each with its own connection, race to create the same unique value.
 * Exactly one wins; the other gets UniqueViolationError naming the winner (UniqueField, not part
 * of the key), or, for getOrCreate, both get the one instance and exactly one says it created it.
 * Runs against a redis-server of its own (the workers: test/support/unique-race-worker.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Field, KeyField, Model, UniqueField, connect, disconnect } from "../../src/index.js";
import { usePrivateServer } from "../support/redis-server.js";

const server = usePrivateServer();
const WORKER = fileURLToPath(new URL("../support/unique-race-worker.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ROUNDS = 15;

class Member extends Model("Member", {
  name: KeyField(),
  email: UniqueField(),
  joinedBy: Field({ null: true }),
}) {}

interface Outcome {
  name: string;
  round: number;
  ok: boolean;
  key?: string;
  created?: boolean;
  email?: string;
  joinedBy?: string;
  code?: string;
  holder?: string;
  error?: string;
}

const run = `run${Date.now()}`;
const names = ["left", "right"] as const;
let admin: Redis;
const children: ChildProcess[] = [];
const stderr: string[] = [];

beforeAll(async () => {
  admin = server.current.client();
  await connect(server.current.url());
  for (const name of names) {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, server.current.url(), run, name], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
    children.push(child);
  }
  const waiter = admin.duplicate();
  try {
    for (const _ of names) {
      const ready = await waiter.blpop(`race:${run}:ready`, 25);
      expect(ready, `worker did not start: ${stderr.join("")}`).not.toBeNull();
    }
  } finally {
    waiter.disconnect();
  }
}, 30_000);

afterAll(async () => {
  await Promise.all(
    names.map((name) => admin.rpush(`race:${run}:go:${name}`, JSON.stringify({ mode: "exit" }))),
  );
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
          child.once("exit", () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
  await disconnect();
});

/** Sends one task to both workers in one round trip (they start together) and collects both outcomes. */
async function race(mode: string, round: number): Promise<[Outcome, Outcome]> {
  const task = JSON.stringify({ mode, round });
  const go = admin.multi();
  for (const name of names) go.rpush(`race:${run}:go:${name}`, task);
  await go.exec();
  const waiter = admin.duplicate();
  try {
    const outcomes: Outcome[] = [];
    for (const _ of names) {
      const popped = await waiter.blpop(`race:${run}:out`, 20);
      expect(popped, `no outcome: ${stderr.join("")}`).not.toBeNull();
      outcomes.push(JSON.parse(popped![1]) as Outcome);
    }
    return outcomes.sort((a, b) => (a.name < b.name ? -1 : 1)) as [Outcome, Outcome];
  } finally {
    waiter.disconnect();
  }
}

const membersOf = async (key: string): Promise<string[]> => (await admin.smembers(key)).sort();

describe("two processes race for one unique value", () => {
  it("UniqueField (not part of the key): exactly one create wins, the other gets UniqueViolationError", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const outcomes = await race("create", round);
      const winners = outcomes.filter((o) => o.ok);
      const losers = outcomes.filter((o) => !o.ok);
      expect(winners.length, JSON.stringify(outcomes)).toBe(1);
      const [winner] = winners as [Outcome];
      const [loser] = losers as [Outcome];
      expect(loser.code, loser.error).toBe("UNIQUE_VIOLATION");
      expect(loser.holder).toBe(winner.key);
      expect(await membersOf(`$UniquF:Member:email:race${round}@x`)).toEqual([winner.key]);
      expect(await admin.exists(`Member:${loser.name}${round}`)).toBe(0);
      expect(await admin.sismember("$Class:Member", `Member:${loser.name}${round}`)).toBe(0);
    }
    const report = await Member.checkIndexes();
    expect(report.differences).toEqual([]);
    expect(report.instances).toBe(ROUNDS);
  }, 30_000);

  it("getOrCreate on the same key: both get the one instance, exactly one created it", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const outcomes = await race("getOrCreateByKey", round);
      for (const o of outcomes) expect(o.ok, o.error).toBe(true);
      expect(outcomes.map((o) => o.key)).toEqual([`Member:same${round}`, `Member:same${round}`]);
      const creators = outcomes.filter((o) => o.created);
      expect(creators.length, JSON.stringify(outcomes)).toBe(1);
      const [creator] = creators as [Outcome];
      // the one that did not create it got the creator's values, not its own defaults
      for (const o of outcomes)
        expect([o.email, o.joinedBy]).toEqual([`${creator.name}${round}@x`, creator.name]);
      const stored = await Member.load({ name: `same${round}` });
      expect(stored?.joinedBy).toBe(creator.name);
      expect(await membersOf(`$UniquF:Member:email:${creator.name}${round}@x`)).toEqual([
        `Member:same${round}`,
      ]);
    }
    expect((await Member.checkIndexes()).differences).toEqual([]);
  }, 30_000);

  it("getOrCreate looked up by a UniqueField: both get the winner's instance, no second instance exists", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const outcomes = await race("getOrCreateByUnique", round);
      for (const o of outcomes) expect(o.ok, o.error).toBe(true);
      const creators = outcomes.filter((o) => o.created);
      expect(creators.length, JSON.stringify(outcomes)).toBe(1);
      const [creator] = creators as [Outcome];
      const winnerKey = `Member:${creator.name}/-g${round}`;
      expect(outcomes.map((o) => o.key)).toEqual([winnerKey, winnerKey]);
      expect(await membersOf(`$UniquF:Member:email:shared${round}@x`)).toEqual([winnerKey]);
      const other = names.find((n) => n !== creator.name)!;
      expect(await admin.exists(`Member:${other}/-g${round}`)).toBe(0);
      expect(await Member.query.filter({ email: `shared${round}@x` }).count()).toBe(1);
    }
    expect((await Member.checkIndexes()).differences).toEqual([]);
  }, 30_000);
});
