/**
 * Studio pages over data popoto did not write: a field whose bytes do not decode, a hash that is
 * gone while its index entries remain, an index entry missing for a stored instance.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Studio } from "../../src/studio/server.js";
import { seedLibrary } from "../fixtures/studio-models.js";
import { raw, useRedis } from "../support/redis.js";
import { get, openStudio } from "../support/studio.js";

useRedis();

let studio: Studio | undefined;
afterEach(async () => {
  await studio?.close();
  studio = undefined;
});

describe("studio pages over damaged data", () => {
  it("shows a field that does not decode as corrupt, on the table and the instance page", async () => {
    await seedLibrary();
    await raw.hset("Book:Dune", "blurb", Buffer.from([0xc1])); // 0xc1 is never used in msgpack
    studio = await openStudio();
    const table = await get(studio, "/models/Book?filter=title%3DDune");
    expect(table.status).toBe(200);
    expect(table.body).toMatch(/<span class="corrupt" title="[^"]*blurb[^"]*">corrupt<\/span>/);
    const instance = await get(studio, "/models/Book/instance?key=Book%3ADune");
    expect(instance.status).toBe(200);
    expect(instance.body).toContain(">corrupt</span>");
    expect(instance.body).toContain('<code class="hex">c1</code>');
  });

  it("lists a missing entry on the instance page, and a gone hash as such", async () => {
    await seedLibrary();
    await raw.zrem("$SortF:Book:pages", "Book:Dune");
    studio = await openStudio();
    const instance = await get(studio, "/models/Book/instance?key=Book%3ADune");
    expect(instance.body).toMatch(
      /\$SortF:Book:pages<\/code>[\s\S]*?<span class="badge bad">missing<\/span>/,
    );
    expect(instance.body).toContain("1 missing");

    await raw.del("Book:Dune");
    const gone = await get(studio, "/models/Book/instance?key=Book%3ADune");
    expect(gone.status).toBe(404);
    expect(gone.body).toMatch(/Nothing\s+is\s+stored\s+at\s+this\s+key/);
  });
});
