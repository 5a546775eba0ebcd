/**
 * Generated key values (src/keys/ids.ts): the forms Popoto 1.x writes for AutoKeyField's
 * strategies, and the order of ULIDs and KSUIDs.
 */
import { describe, expect, it } from "vitest";
import { ksuidTime, newAutoKey, newKsuid, newUlid, ulidTime } from "../../src/keys/ids.js";

const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const KSUID = /^[0-9A-Za-z]{27}$/;

describe("generated keys", () => {
  it("uuid: lowercase hex, cut to the length", () => {
    expect(newAutoKey("uuid", 32)).toMatch(/^[0-9a-f]{32}$/);
    expect(newAutoKey("uuid", 8)).toMatch(/^[0-9a-f]{8}$/);
  });

  it("ulid: 26 Crockford base32 characters, the first 10 the millisecond", () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const id = newUlid(at);
    expect(id).toMatch(ULID);
    expect(ulidTime(id)).toBe(at);
    // The spec's example instant: 1469918176385 ms is 01ARYZ6S41.
    expect(newUlid(1469918176385).slice(0, 10)).toBe("01ARYZ6S41");
    expect(newUlid(0).slice(0, 10)).toBe("0000000000");
  });

  it("ulid: later ones sort after earlier ones, and ids of one millisecond in creation order", () => {
    const sameMs = Array.from({ length: 1000 }, () => newUlid(1_700_000_000_000));
    expect([...sameMs].sort()).toEqual(sameMs);
    expect(new Set(sameMs).size).toBe(1000);
    const times = [1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_900, 1_800_000_000_000];
    const ids = times.map((t) => newUlid(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it("ksuid: 27 base62 characters naming the second since 2014-05-13, sorting by it", () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5);
    const id = newKsuid(at);
    expect(id).toMatch(KSUID);
    expect(ksuidTime(id)).toBe(at / 1000);
    // The KSUID epoch itself is the zero timestamp: the id is below 2**128, i.e. starts with zeros.
    expect(newKsuid(1_400_000_000_000).startsWith("0000")).toBe(true);
    const sameSecond = Array.from({ length: 1000 }, () => newKsuid(at));
    expect([...sameSecond].sort()).toEqual(sameSecond);
    const ids = [at, at + 1000, at + 60_000, at + 86_400_000].map((t) => newKsuid(t));
    expect([...ids].sort()).toEqual(ids);
  });
});
