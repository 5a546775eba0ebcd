/**
 * Unique values on sharded models (docs/storage.md §7a, "Unique values"): a UniqueField or unique
 * composite index is claimed across buckets by `$UniqueClaim:{Model@<hash>}:<field>:<part>`, taken
 * before the write, released after a change, a delete or a failed write, and taken over from a
 * bucket that does not hold the value (fenced there first). Raw keys are asserted on both
 * topologies (a sharded model has one layout).
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  connect,
  ConnectionError,
  IndexedField,
  KeyConflictError,
  KeyField,
  Model,
  UniqueField,
  UniqueViolationError,
  type CommandEvent,
} from "../../src/index.js";
import { bucketOfText, bucketTag, fnv1a32 } from "../../src/keys/shards.js";
import {
  allKeys,
  clusterUrls,
  connectTestRedis,
  ON_CLUSTER,
  raw,
  TEST_URL,
  useRedis,
} from "../support/redis.js";
import { caught } from "../support/inspect.js";

useRedis();

const K = 24;
const tagOf = (id: string, model: string): string => bucketTag(model, bucketOfText(id, K), K);
const keyOf = (id: string, model: string): string => `${tagOf(id, model)}:${id}`;
/** The claim of a value: its body is the unique set's name after the bucket tag. */
const claim = (model: string, body: string): string =>
  `$UniqueClaim:{${model}@${fnv1a32(`${model}:${body}`).toString(16).padStart(8, "0")}}:${body}`;

/** `count` ids whose instances fall in pairwise different buckets. */
const spreadIds = (prefix: string, count: number): string[] => {
  const ids: string[] = [];
  const used = new Set<number>();
  for (let i = 0; ids.length < count; i++) {
    const bucket = bucketOfText(`${prefix}${i}`, K);
    if (used.has(bucket)) continue;
    used.add(bucket);
    ids.push(`${prefix}${i}`);
  }
  return ids;
};

class SuUser extends Model(
  "SuUser",
  { id: KeyField(), email: UniqueField({ null: true }), name: IndexedField({ null: true }) },
  { shards: K },
) {}

class SuPair extends Model(
  "SuPair",
  { id: KeyField(), a: IndexedField({ null: true }), b: IndexedField({ type: "int" }) },
  { shards: K, indexes: [{ fields: ["a", "b"], unique: true }] },
) {}

describe("unique values of a sharded model", () => {
  it("claims a value in its own key, naming the instance that holds it", async () => {
    const [id] = spreadIds("c", 1) as [string];
    await SuUser.create({ id, email: "ann@x" });
    const key = claim("SuUser", "email:ann@x");
    expect(await raw.hget(key, "holder")).toBe(keyOf(id, "SuUser"));
    expect(await raw.hget(key, "token")).toMatch(/^[0-9a-f]{16}$/);
    expect(await raw.smembers(`$UniquF:${tagOf(id, "SuUser")}:email:ann@x`)).toEqual([keyOf(id, "SuUser")]);
    // a null value claims nothing
    await SuUser.create({ id: "n1" });
    expect((await allKeys()).filter((k) => k.startsWith("$UniqueClaim:"))).toEqual([key]);
  });

  it("refuses the value in another bucket with UniqueViolationError, writing nothing", async () => {
    const [first, second] = spreadIds("r", 2) as [string, string];
    await SuUser.create({ id: first, email: "bo@x" });
    const error = await caught(() => SuUser.create({ id: second, email: "bo@x" }));
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect((error as UniqueViolationError).holder).toBe(keyOf(first, "SuUser"));
    expect((error as UniqueViolationError).field).toBe("email");
    expect(await raw.exists(keyOf(second, "SuUser"))).toBe(0);
    expect(await raw.hget(claim("SuUser", "email:bo@x"), "holder")).toBe(keyOf(first, "SuUser"));
  });

  it("lets exactly one of many racing creates of one value win", async () => {
    const ids = spreadIds("race", 16);
    const results = await Promise.allSettled(ids.map((id) => SuUser.create({ id, email: "race@x" })));
    const won = results.flatMap((r, i) => (r.status === "fulfilled" ? [ids[i] as string] : []));
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === "rejected") expect(r.reason).toBeInstanceOf(UniqueViolationError);
    const stored = (await allKeys()).filter((k) => k.includes("{SuUser#") && k.endsWith(":race@x"));
    expect(stored).toEqual([`$UniquF:${tagOf(won[0] as string, "SuUser")}:email:race@x`]);
    expect(await SuUser.query.filter({ email: "race@x" }).count()).toBe(1);
    expect(await raw.hget(claim("SuUser", "email:race@x"), "holder")).toBe(keyOf(won[0] as string, "SuUser"));
  });

  it("releases the old value's claim after a change, and on delete", async () => {
    const [a, b] = spreadIds("m", 2) as [string, string];
    const user = await SuUser.create({ id: a, email: "old@x" });
    user.email = "new@x";
    await user.save();
    expect(await raw.exists(claim("SuUser", "email:old@x"))).toBe(0);
    expect(await raw.hget(claim("SuUser", "email:new@x"), "holder")).toBe(keyOf(a, "SuUser"));
    // the old value is free for an instance of another bucket
    await SuUser.create({ id: b, email: "old@x" });
    expect(await raw.hget(claim("SuUser", "email:old@x"), "holder")).toBe(keyOf(b, "SuUser"));
    // a save that does not touch the value keeps its claim
    user.name = "Ann";
    await user.save();
    expect(await raw.hget(claim("SuUser", "email:new@x"), "holder")).toBe(keyOf(a, "SuUser"));
    await user.delete();
    expect(await raw.exists(claim("SuUser", "email:new@x"))).toBe(0);
    // a fence was left in the bucket that gave the value up (expiring), nothing else of it
    const rest = (await allKeys()).filter((k) => k.includes(tagOf(a, "SuUser")));
    expect(rest.every((k) => k.startsWith("$UniqueFence:"))).toBe(true);
    expect(rest.length).toBeGreaterThan(0);
    expect(await raw.ttl(rest[0] as string)).toBeGreaterThan(0);
  });

  it("releases the claim a failed write took", async () => {
    const [a] = spreadIds("f", 1) as [string];
    await SuUser.create({ id: a, email: "f1@x" });
    const error = await caught(() => SuUser.create({ id: a, email: "f2@x" }));
    expect(error).toBeInstanceOf(KeyConflictError);
    expect(await raw.exists(claim("SuUser", "email:f2@x"))).toBe(0);
    expect(await raw.hget(claim("SuUser", "email:f1@x"), "holder")).toBe(keyOf(a, "SuUser"));
  });

  it("takes over a claim left by a crash, fencing the bucket it named", async () => {
    const [gone, taker] = spreadIds("s", 2) as [string, string];
    // a claim naming an instance that never held the value (its writer crashed before writing)
    const key = claim("SuUser", "email:s@x");
    await raw.hset(key, "token", "00000000deadbeef", "holder", keyOf(gone, "SuUser"), "at", "0");
    await SuUser.create({ id: taker, email: "s@x" });
    expect(await raw.hget(key, "holder")).toBe(keyOf(taker, "SuUser"));
    expect(await raw.smembers(`$UniqueFence:${tagOf(gone, "SuUser")}:00000000deadbeef`)).toEqual(["1"]);
  });

  it("does not take over a claim whose bucket holds the value, even one left behind", async () => {
    const [holder, other] = spreadIds("h", 2) as [string, string];
    await SuUser.create({ id: holder, email: "h@x" });
    // the claim's token and age do not matter: the holder's bucket is read
    await raw.hset(claim("SuUser", "email:h@x"), "at", "0");
    const error = await caught(() => SuUser.create({ id: other, email: "h@x" }));
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect((await allKeys()).filter((k) => k.startsWith("$UniqueFence:"))).toEqual([]);
  });

  it("a write whose claim was fenced claims again instead of writing", async () => {
    const [a] = spreadIds("z", 1) as [string];
    // a claim naming this bucket whose token a taker fenced, then stopped before swapping it
    const key = claim("SuUser", "email:z@x");
    await raw.hset(key, "token", "00000000cafef00d", "holder", keyOf(a, "SuUser"), "at", "0");
    await raw.sadd(`$UniqueFence:${tagOf(a, "SuUser")}:00000000cafef00d`, "1");
    await SuUser.create({ id: a, email: "z@x" });
    expect(await raw.hget(key, "token")).not.toBe("00000000cafef00d");
    expect(await raw.hget(key, "holder")).toBe(keyOf(a, "SuUser"));
  });

  it("claims a unique composite index's combination across buckets", async () => {
    const [a, b, c] = spreadIds("p", 3) as [string, string, string];
    await SuPair.create({ id: a, a: "x", b: 1 });
    expect(await raw.hget(claim("SuPair", "a+b:x:1"), "holder")).toBe(keyOf(a, "SuPair"));
    const error = await caught(() => SuPair.create({ id: b, a: "x", b: 1 }));
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect((error as UniqueViolationError).field).toBe("a+b");
    expect((error as UniqueViolationError).value).toEqual(["x", 1]);
    // a combination with a null is never a clash, and is not claimed
    await SuPair.create({ id: b, a: null, b: 1 });
    await SuPair.create({ id: c, a: null, b: 1 });
    expect((await allKeys()).filter((k) => k.startsWith("$UniqueClaim:{SuPair@"))).toEqual([
      claim("SuPair", "a+b:x:1"),
    ]);
    // changing one field of the combination moves the claim
    const pair = await SuPair.load({ id: a });
    if (!pair) throw new Error("missing");
    pair.b = 2;
    await pair.save();
    expect(await raw.exists(claim("SuPair", "a+b:x:1"))).toBe(0);
    expect(await raw.hget(claim("SuPair", "a+b:x:2"), "holder")).toBe(keyOf(a, "SuPair"));
  });

  it("update() claims the value it writes and releases the one it replaces", async () => {
    const [a, b] = spreadIds("q", 2) as [string, string];
    await SuUser.create({ id: a, email: "q1@x", name: "qa" });
    await SuUser.create({ id: b, email: "q2@x", name: "qb" });
    // the value another bucket's instance holds is refused, and nothing is written
    const error = await caught(() => SuUser.query.filter({ name: "qa" }).update({ email: "q2@x" }));
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect((error as UniqueViolationError).holder).toBe(keyOf(b, "SuUser"));
    expect(await raw.hget(claim("SuUser", "email:q1@x"), "holder")).toBe(keyOf(a, "SuUser"));
    expect(await SuUser.query.filter({ name: "qa" }).update({ email: "q3@x" })).toBe(1);
    expect(await raw.exists(claim("SuUser", "email:q1@x"))).toBe(0);
    expect(await raw.hget(claim("SuUser", "email:q3@x"), "holder")).toBe(keyOf(a, "SuUser"));
    expect(await raw.smembers(`$UniquF:${tagOf(a, "SuUser")}:email:q3@x`)).toEqual([keyOf(a, "SuUser")]);
  });
});

class SuPen extends Model(
  "SuPen",
  { id: KeyField(), email: UniqueField({ null: true }), nick: UniqueField({ null: true }) },
  { shards: K },
) {}

/** Connects again with a command listener; the scripts' calls of the block are returned. */
async function watched(block: () => Promise<unknown>): Promise<CommandEvent[]> {
  const events: CommandEvent[] = [];
  await connect({
    ...(ON_CLUSTER ? { cluster: clusterUrls() } : { url: TEST_URL }),
    onCommand: (e) => events.push(e),
  });
  await block().catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve)); // replies are reported as they settle
  return events.filter((e) => e.script !== undefined);
}

describe("bulk writes of claimed values", () => {
  afterEach(async () => {
    await connectTestRedis(); // back to the suite's plain connection
  });

  it("bulkCreate() takes the batch's claims in one pipelined round, then writes pipelined", async () => {
    const ids = spreadIds("bk", 20);
    const calls = await watched(() =>
      SuUser.bulkCreate(ids.map((id) => ({ id, email: `${id}@x`, name: "bulk" }))),
    );
    const claims = calls.filter((e) => e.script === "claim");
    const writes = calls.filter((e) => e.script === "write");
    expect(claims).toHaveLength(20);
    expect(writes).toHaveLength(20);
    expect([...claims, ...writes].every((e) => e.pipeline)).toBe(true);
    expect(calls.filter((e) => e.script === "fence")).toEqual([]); // nothing to release
    for (const id of ids)
      expect(await raw.hget(claim("SuUser", `email:${id}@x`), "holder")).toBe(keyOf(id, "SuUser"));
    expect(await SuUser.query.filter({ name: "bulk" }).count()).toBe(20);
  });

  it("a failed write releases its claims and does not fail the others", async () => {
    const [holder, a, b, c] = spreadIds("bf", 4) as [string, string, string, string];
    await SuPen.create({ id: holder, email: "held@x", nick: "held" });
    // b takes a fresh email's claim in the round, but its nick is held in another bucket.
    const error = await caught(() =>
      SuPen.bulkCreate([
        { id: a, email: "a@x", nick: "na" },
        { id: b, email: "b@x", nick: "held" },
        { id: c, email: "held@x", nick: "nc" },
      ]),
    );
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect((error as UniqueViolationError).holder).toBe(keyOf(holder, "SuPen"));
    expect(await raw.exists(keyOf(a, "SuPen"))).toBe(1);
    expect(await raw.exists(keyOf(b, "SuPen"))).toBe(0);
    expect(await raw.exists(keyOf(c, "SuPen"))).toBe(0);
    expect(await raw.hget(claim("SuPen", "email:a@x"), "holder")).toBe(keyOf(a, "SuPen"));
    // b's email and c's nick were claimed in the round and released when their writes failed.
    expect(await raw.exists(claim("SuPen", "email:b@x"))).toBe(0);
    expect(await raw.exists(claim("SuPen", "nick:nc"))).toBe(0);
    expect(await raw.hget(claim("SuPen", "email:held@x"), "holder")).toBe(keyOf(holder, "SuPen"));
    expect(await raw.hget(claim("SuPen", "nick:held"), "holder")).toBe(keyOf(holder, "SuPen"));
    // The values released are free for another bucket's instance.
    await SuPen.create({ id: holder.replace("bf", "bg"), email: "b@x", nick: "nc" });
  });

  it("two instances of one batch with one value in different buckets: the first wins", async () => {
    const [a, b] = spreadIds("bd", 2) as [string, string];
    const error = await caught(() =>
      SuUser.bulkCreate([
        { id: a, email: "dup@x" },
        { id: b, email: "dup@x" },
      ]),
    );
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect(await raw.exists(keyOf(a, "SuUser"))).toBe(1);
    expect(await raw.exists(keyOf(b, "SuUser"))).toBe(0);
    expect(await raw.hget(claim("SuUser", "email:dup@x"), "holder")).toBe(keyOf(a, "SuUser"));
  });

  it("update() and bulkDelete() release the values they drop in pipelined rounds", async () => {
    const ids = spreadIds("bu", 12);
    await SuUser.bulkCreate(ids.map((id) => ({ id, email: `${id}@x`, name: "upd" })));
    const users = await SuUser.query.filter({ name: "upd" });
    const calls = await watched(async () => {
      for (const u of users) u.email = `${u.id}@new`;
      await SuUser.bulkUpdate(users);
    });
    for (const id of ids) {
      expect(await raw.exists(claim("SuUser", `email:${id}@x`))).toBe(0);
      expect(await raw.hget(claim("SuUser", `email:${id}@new`), "holder")).toBe(keyOf(id, "SuUser"));
    }
    // 12 takes, 12 writes, then the 12 old values: fenced and dropped, all in pipelines.
    expect(calls.filter((e) => e.script === "claim")).toHaveLength(24);
    expect(calls.filter((e) => e.script === "fence")).toHaveLength(12);
    expect(calls.every((e) => e.pipeline)).toBe(true);
    const deletes = await watched(() => SuUser.bulkDelete(ids.map((id) => keyOf(id, "SuUser"))));
    expect((await allKeys()).filter((k) => k.startsWith("$UniqueClaim:{SuUser@"))).toEqual([]);
    expect(deletes.filter((e) => e.script === "fence")).toHaveLength(12);
    expect(deletes.every((e) => e.pipeline)).toBe(true);
    expect(await SuUser.query.filter({ name: "upd" }).count()).toBe(0);
  });
});

describe("connect({ fenceSeconds })", () => {
  afterEach(async () => {
    await connectTestRedis(); // back to the suite's plain connection
  });
  const target = () => (ON_CLUSTER ? { cluster: clusterUrls() } : { url: TEST_URL });

  it("sets how long a release's fence lasts; the default is a day", async () => {
    const [a, b] = spreadIds("ft", 2) as [string, string];
    const fenceOf = async (id: string): Promise<string> =>
      (await allKeys()).find((k) => k.startsWith(`$UniqueFence:${tagOf(id, "SuUser")}:`)) as string;
    await (await SuUser.create({ id: a, email: "ft-a@x" })).delete();
    const day = await raw.ttl(await fenceOf(a));
    expect(day).toBeGreaterThan(86_000);
    expect(day).toBeLessThanOrEqual(86_400);
    await connect({ ...target(), fenceSeconds: 120 });
    await (await SuUser.create({ id: b, email: "ft-b@x" })).delete();
    const short = await raw.ttl(await fenceOf(b));
    expect(short).toBeGreaterThan(0);
    expect(short).toBeLessThanOrEqual(120);
  });

  it("refuses a fence that a write carrying its token could outlive", async () => {
    // Defaults: twice (2 × 5 s write deadline + 10 s command timeout [+ 20 s cluster retries]).
    const least = ON_CLUSTER ? 80 : 40;
    const short = await caught(() => connect({ ...target(), fenceSeconds: least - 1 }));
    expect(short).toBeInstanceOf(ConnectionError);
    expect((short as Error).message).toContain(`≥ ${least}`);
    await connect({ ...target(), fenceSeconds: least });
    // A longer write deadline raises the bound; no command timeout leaves only the default.
    const slow = await caught(() => connect({ ...target(), writeDeadlineMs: 60_000, fenceSeconds: 200 }));
    expect((slow as Error).message).toContain(`≥ ${least + 220}`);
    const untimed = await caught(() => connect({ ...target(), commandTimeout: 0, fenceSeconds: 86_399 }));
    expect(untimed).toBeInstanceOf(ConnectionError);
    await connect({ ...target(), commandTimeout: 0, fenceSeconds: 86_400 });
    expect(await caught(() => connect({ ...target(), fenceSeconds: 1.5 }))).toBeInstanceOf(ConnectionError);
  });
});
