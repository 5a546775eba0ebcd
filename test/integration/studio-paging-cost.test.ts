/**
 * The studio stays fast on large models: a table page costs Redis the same number of commands
 * for 200 or 20,000 instances and reads only the page's hashes, and no studio page uses KEYS.
 * Counted with INFO commandstats on a redis-server of its own, so no other client is counted.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connect,
  disconnect,
  getConnection,
  IndexedField,
  KeyField,
  Model,
  SortedField,
} from "../../src/index.js";
import { startStudio, type Studio } from "../../src/studio/server.js";
import { usePrivateServer } from "../support/redis-server.js";
import { get } from "../support/studio.js";

const server = usePrivateServer();
let raw: Redis;
let studio: Studio;

class Reading extends Model("StudioReading", {
  id: KeyField(),
  kind: IndexedField(),
  at: SortedField({ type: "int" }),
}) {}

beforeAll(async () => {
  raw = server.current.client();
  await connect(server.current.url());
  studio = await startStudio({ models: [Reading], redis: getConnection() as Redis, port: 0 });
});

afterAll(async () => {
  await studio.close();
  await disconnect();
});

/** Calls per command name, from INFO commandstats (commands inside scripts included). */
async function calls(): Promise<Map<string, number>> {
  const info = await raw.info("commandstats");
  return new Map(
    [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((m) => [m[1] as string, Number(m[2])]),
  );
}

/** Commands Redis ran for one studio request (minus the INFO that measures it). */
interface Cost {
  readonly total: number;
  readonly hgetall: number;
  readonly status: number;
}

async function costOf(path: string): Promise<Cost> {
  const before = await calls();
  const reply = await get(studio, path);
  const after = await calls();
  const delta = (name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  const total = [...after.keys()].reduce((sum, name) => sum + delta(name), 0) - 1;
  return { total, hgetall: delta("hgetall"), status: reply.status };
}

async function seed(count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => ({ id: `r${i}`, kind: i % 2 ? "a" : "b", at: i }));
  await Reading.bulkCreate(rows, { batchSize: 2000 });
}

describe("studio paging cost", () => {
  it(
    "a page costs the same for 200 or 20,000 instances and reads only its own hashes",
    { timeout: 180_000 },
    async () => {
      const pages = [
        "/models/StudioReading?order=-at",
        "/models/StudioReading?filter=kind%3Da&order=at&page=3",
      ];
      await seed(200);
      const small: Cost[] = [];
      for (const page of pages) small.push(await costOf(page));
      await Reading.deleteAll();
      await seed(20_000);
      const large: Cost[] = [];
      for (const page of pages) large.push(await costOf(page));
      const [smallFirst, smallFiltered] = small as [Cost, Cost];
      const [largeFirst, largeFiltered] = large as [Cost, Cost];
      for (const cost of [...small, ...large]) {
        expect(cost.status).toBe(200);
        expect(cost.hgetall).toBe(25); // the page's rows, nothing more
      }
      // An ordered page reads the sorted set's range: the same work at any size.
      expect(largeFirst.total).toBeLessThanOrEqual(smallFirst.total + 5);
      // A filtered page walks the sorted set until the page is full (query.lua checks each member
      // against the filter's set): work follows the page's position, not the 20,000 instances.
      expect(smallFiltered.total).toBeLessThan(100);
      expect(largeFiltered.total).toBeLessThan(250);
      const last = await get(studio, "/models/StudioReading?filter=kind%3Da&order=at&page=3");
      expect(last.body).toContain("StudioReading:r105"); // kind a is odd ids: page 3 starts at the 51st, r101…
    },
  );

  it("no studio page uses the KEYS command", async () => {
    await seed(50);
    const before = (await calls()).get("keys") ?? 0;
    for (const path of [
      "/",
      "/models/StudioReading/stats",
      "/models/StudioReading",
      "/models/StudioReading?filter=id__startswith%3Dr1",
      "/models/StudioReading/instance?key=StudioReading%3Ar1",
      "/models/StudioReading/health?run=1",
    ])
      expect((await get(studio, path)).status, path).toBe(200);
    expect((await calls()).get("keys") ?? 0).toBe(before);
  });
});
