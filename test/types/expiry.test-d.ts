/**
 * Per-instance expiry: `save({ ttl })`, `expire(seconds)` and the `expiring` model option.
 */
import { describe, expectTypeOf, test } from "vitest";
import { KeyField, Model } from "../../src/index.js";

class Token extends Model("TypesToken", { id: KeyField() }, { expiring: true }) {
  get short(): string {
    return this.id.slice(0, 4);
  }
}

describe("per-instance expiry", () => {
  test("save() takes a ttl in seconds, and expire() returns the instance as its class", async () => {
    const token = new Token({ id: "t1" });
    await token.save({ ttl: 60 });
    await token.save({ ttl: 60, fields: ["id"] });
    expectTypeOf(await token.expire(30)).toEqualTypeOf<Token>();
    expectTypeOf((await token.expire(30)).short).toEqualTypeOf<string>();
  });

  test("a ttl is a number of seconds", async () => {
    const token = new Token({ id: "t1" });
    // @ts-expect-error ttl is seconds, not text
    await token.save({ ttl: "60" });
    // @ts-expect-error expire() needs the seconds
    await token.expire();
    // @ts-expect-error expire() takes a number
    await token.expire("soon");
  });

  test("expiring is a model option taking a boolean", () => {
    Model("TypesExpiringTtl", { id: KeyField() }, { expiring: true, ttl: 60 });
    // @ts-expect-error expiring is true or false
    Model("TypesExpiringBad", { id: KeyField() }, { expiring: "yes" });
  });
});
