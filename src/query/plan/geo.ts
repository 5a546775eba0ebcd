/** `__within` lookups on a GeoField: one GEOSEARCH of its `$GeoF` set, checked before planning. */
import { QueryError, formatValue } from "../../errors.js";
import { geoSet } from "../../keys/keys.js";
import type { ModelMeta } from "../../model/meta.js";
import { relatedKeyOf } from "../../model/values.js";
import type { Lookup } from "../lookup.js";
import type { GeoUnit, PlanNode } from "./node.js";

/** GEOSEARCH's units, one entry per member of GeoUnit (the compiler keeps the two in step). */
const GEO_UNITS = { m: true, km: true, ft: true, mi: true } as const satisfies Record<GeoUnit, true>;
const isGeoUnit = (unit: unknown): unit is GeoUnit =>
  typeof unit === "string" && Object.hasOwn(GEO_UNITS, unit);

/**
 * `location__within: { latitude, longitude, radius, unit }` or `{ member, radius, unit }` (centred
 * on another instance of the same geo index): GEOSEARCH, nearest first.
 */
export function geoNode(meta: ModelMeta, lookup: Lookup): PlanNode {
  const value = lookup.value as Record<string, unknown> | null;
  const fail = (why: string): never => {
    throw new QueryError(meta.name, `${lookup.source} ${why}`, lookup.field);
  };
  if (value === null || typeof value !== "object")
    fail("expects { latitude, longitude, radius, unit } or { member, radius, unit }.");
  const radius = value?.["radius"];
  const unit = value?.["unit"] ?? "m";
  if (typeof radius !== "number" || !Number.isFinite(radius) || radius < 0)
    fail(`needs a radius (a number of at least 0), received ${formatValue(radius)}.`);
  if (!isGeoUnit(unit))
    fail(`unit must be one of ${Object.keys(GEO_UNITS).join(", ")}, received ${formatValue(unit)}.`);
  const base = {
    t: "geo" as const,
    key: geoSet(meta, lookup.field),
    radius: radius as number,
    unit: unit as GeoUnit, // checked by isGeoUnit above (fail() throws)
  };
  if (value && "member" in value) {
    const member = relatedKeyOf(value["member"]);
    if (member === undefined) fail("member must be an instance or an instance key.");
    return { ...base, member, longitude: 0, latitude: 0 };
  }
  const latitude = value?.["latitude"];
  const longitude = value?.["longitude"];
  if (
    typeof latitude !== "number" ||
    typeof longitude !== "number" ||
    !Number.isFinite(latitude) ||
    !Number.isFinite(longitude)
  )
    fail("needs a centre: numeric latitude and longitude, or a member.");
  return { ...base, member: undefined, latitude: latitude as number, longitude: longitude as number };
}
