import { describe, expect, it } from "vitest";
import { GeoField, KeyField, Model, ValidationError } from "../../src/index.js";
import { hexOf, raw, useRedis } from "../support/redis.js";

useRedis();

class Place extends Model("Place", {
  name: KeyField(),
  kind: KeyField({ null: true }),
  location: GeoField({ null: true }),
}) {}

const ROME = { latitude: 41.9028, longitude: 12.4964 };
const VATICAN = { latitude: 41.9029, longitude: 12.4534 };
const PARIS = { latitude: 48.8566, longitude: 2.3522 };

describe("GeoField", () => {
  it("stores a tagged tuple [lat, lon] and GEOADDs at (lon, lat)", async () => {
    await Place.create({ name: "Rome", location: ROME });
    // fixmap(2) "__tuple__" true "as_encodable" [float64 lat, float64 lon]
    const lat = Buffer.alloc(8);
    lat.writeDoubleBE(ROME.latitude);
    const lon = Buffer.alloc(8);
    lon.writeDoubleBE(ROME.longitude);
    expect(await hexOf("Place:None:Rome", "location")).toBe(
      `82a95f5f7475706c655f5fc3ac61735f656e636f6461626c6592cb${lat.toString("hex")}cb${lon.toString("hex")}`,
    );
    const [pos] = await raw.geopos("$GeoF:Place:location", "Place:None:Rome");
    expect(Number(pos?.[0])).toBeCloseTo(12.4964, 3);
    expect(Number(pos?.[1])).toBeCloseTo(41.9028, 3);
    const bytes = await raw.hgetBuffer("Place:None:Rome", "location");
    expect(bytes?.subarray(0, 11).toString("latin1")).toBe("\x82\xa9__tuple__");
  });

  it("finds points within a radius, nearest first, with distances; Rome and the Vatican find each other", async () => {
    await Place.create({ name: "Rome", location: ROME });
    await Place.create({ name: "Vatican", location: VATICAN });
    await Place.create({ name: "Paris", location: PARIS });
    const near = await Place.query
      .filter({ location__within: { ...VATICAN, radius: 5, unit: "km" } })
      .nearest();
    expect(near.map((n) => n.instance.name)).toEqual(["Vatican", "Rome"]);
    expect(near[1]!.distance).toBeGreaterThan(3);
    expect(near[1]!.distance).toBeLessThan(4);
    const rome = await Place.load({ name: "Rome", kind: null });
    const around = await Place.query.filter({ location__within: { member: rome!, radius: 5, unit: "km" } });
    expect(around.map((p) => p.name)).toEqual(["Rome", "Vatican"]);
  });

  it("combines with other filters and treats 0,0 as a real place", async () => {
    await Place.create({ name: "Null Island", kind: "buoy", location: { latitude: 0, longitude: 0 } });
    await Place.create({ name: "Near", kind: "ship", location: { latitude: 0.001, longitude: 0.001 } });
    const found = await Place.query.filter({
      location__within: { latitude: 0, longitude: 0, radius: 1, unit: "km" },
      kind: "buoy",
    });
    expect(found.map((p) => p.name)).toEqual(["Null Island"]);
    expect(await raw.zcard("$GeoF:Place:location")).toBe(2);
  });

  it("clearing a location removes it from the index; out-of-range coordinates are a ValidationError", async () => {
    const p = await Place.create({ name: "Rome", location: ROME });
    p.location = null;
    await p.save();
    expect(await raw.zcard("$GeoF:Place:location")).toBe(0);
    await expect(
      Place.create({ name: "Pole", location: { latitude: 89, longitude: 0 } }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(Place.create({ name: "X", location: { latitude: 10, longitude: 181 } })).rejects.toThrow(
      /out of range/,
    );
    expect(await raw.exists("Place:None:Pole")).toBe(0);
  });

  it("a location-less GeoField is Popoto's tuple of two nils; that form and plain nil both read as null", async () => {
    const NO_LOCATION = "82a95f5f7475706c655f5fc3ac61735f656e636f6461626c6592c0c0";
    await Place.create({ name: "Nowhere" });
    expect(await hexOf("Place:None:Nowhere", "location")).toBe(NO_LOCATION);
    expect(await raw.zcard("$GeoF:Place:location")).toBe(0);
    // A row as Python Popoto writes it (tuple of nils) and one with a plain nil, among located rows.
    await Place.create({ name: "Rome", location: ROME });
    await Place.create({ name: "Python" });
    await raw.hset("Place:None:Python", "location", Buffer.from(NO_LOCATION, "hex"));
    await Place.create({ name: "Nil" });
    await raw.hset("Place:None:Nil", "location", Buffer.from("c0", "hex"));
    const all = await Place.query.orderBy("name").all();
    expect(all.map((p) => [p.name, p.location])).toEqual([
      ["Nil", null],
      ["Nowhere", null],
      ["Python", null],
      ["Rome", ROME],
    ]);
    const python = await Place.load("Place:None:Python");
    expect(python?.location).toBeNull();
  });
});
