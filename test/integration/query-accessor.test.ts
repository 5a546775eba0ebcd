/**
 * `Book.query` is both Popoto's spelling (`Book.query.filter(...)`) and a call (`Book.query()`)
 * that gives the same query typed as the class; a query settles like a promise (then, catch,
 * finally), and results are instances of the class it was read on.
 */
import { describe, expect, it } from "vitest";
import { KeyField, Model, QueryError, SortedField } from "../../src/index.js";
import { useRedis } from "../support/redis.js";

useRedis();

class Song extends Model("QaSong", { title: KeyField(), length: SortedField({ type: "int" }) }) {
  get label(): string {
    return `${this.title} (${this.length} s)`;
  }
}

describe("Book.query and Book.query()", () => {
  it("run the same query; results are instances of the subclass with its getters", async () => {
    await Song.create({ title: "A", length: 100 });
    await Song.create({ title: "B", length: 200 });
    const called = await Song.query().filter({ length__gte: 150 });
    const property = await Song.query.filter({ length__gte: 150 });
    expect(called.map((s) => s.label)).toEqual(["B (200 s)"]);
    expect(property.map((s) => s.title)).toEqual(["B"]);
    expect(called[0]).toBeInstanceOf(Song);
    expect((await Song.query().get({ title: "A" }))?.label).toBe("A (100 s)");
    expect((await Song.query).length).toBe(2);
    expect((await Song.query()).length).toBe(2);
    expect(await Song.objects.count()).toBe(2);
    expect(await Song.objects().count()).toBe(2);
  });

  it("catch() receives a failed query's error; finally() runs once it settles", async () => {
    const failing = Song.query().orderBy("nope" as "title");
    const caught = await failing.catch((error: unknown) => error);
    expect(caught).toBeInstanceOf(QueryError);
    let finished = 0;
    await Song.query()
      .finally(() => finished++)
      .then((songs) => expect(songs).toEqual([]));
    expect(finished).toBe(1);
    await Song.create({ title: "C", length: 1 });
    expect((await Song.query.values("title").catch(() => [])).map((r) => r.title)).toEqual(["C"]);
  });
});
