/**
 * AutoKeyField({ kind }): the generated part of the instance key, as Popoto 1.x's strategies write
 * it (uuid4 hex, ulid, ksuid), and keys of ulid/ksuid models sorting by creation.
 */
import { describe, expect, it } from "vitest";
import { AutoKeyField, Field, Model } from "../../src/index.js";
import { ksuidTime, ulidTime } from "../../src/keys/ids.js";
import { raw, useRedis } from "../support/redis.js";

useRedis();

class Order extends Model("Order", { id: AutoKeyField({ kind: "ulid" }), item: Field() }) {}
class Event extends Model("Event", { id: AutoKeyField({ kind: "ksuid" }), name: Field() }) {}
class Ticket extends Model("Ticket", { id: AutoKeyField(), note: Field() }) {}

describe("AutoKeyField kinds", () => {
  it("ulid: Order:<26 Crockford characters>, naming the creation millisecond, sorting in creation order", async () => {
    const before = Date.now();
    const orders = [];
    for (let i = 0; i < 30; i++) orders.push(await Order.create({ item: `#${i}` }));
    const after = Date.now();
    const keys = orders.map((order) => order.redisKey);
    for (const key of keys) {
      expect(key).toMatch(/^Order:[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
      const ms = ulidTime(key.slice("Order:".length));
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(after);
    }
    expect([...keys].sort()).toEqual(keys);
    // The hash holds the value too (msgpack str of 26 bytes: \xba…), and the class set every key.
    const first = orders[0] as Order;
    expect((await raw.hgetBuffer(first.redisKey, "id"))?.toString("hex")).toBe(
      `ba${Buffer.from(first.id).toString("hex")}`,
    );
    expect((await raw.smembers("$Class:Order")).sort()).toEqual(keys);
    expect((await Order.load(first.redisKey))?.item).toBe("#0");
  });

  it("ksuid: Event:<27 base62 characters>, naming the creation second, sorting in creation order", async () => {
    const before = Math.floor(Date.now() / 1000);
    const events = [];
    for (let i = 0; i < 30; i++) events.push(await Event.create({ name: `e${i}` }));
    const keys = events.map((event) => event.redisKey);
    for (const key of keys) {
      expect(key).toMatch(/^Event:[0-9A-Za-z]{27}$/);
      expect(ksuidTime(key.slice("Event:".length))).toBeGreaterThanOrEqual(before);
    }
    expect([...keys].sort()).toEqual(keys);
  });

  it("uuid stays the default: 32 lowercase hex characters", async () => {
    const ticket = await Ticket.create({ note: "x" });
    expect(ticket.redisKey).toMatch(/^Ticket:[0-9a-f]{32}$/);
  });
});
