/** `GeoField()`: a location indexed in a geo set, for radius filters. */
import { FieldDef, makeSpec, type DefaultGiven, type NullGiven, type OptionTable } from "./field.js";

/** A point on Earth, in degrees. */
export interface GeoPoint {
  readonly latitude: number;
  readonly longitude: number;
}

/** Options of `GeoField()`. */
export interface GeoFieldOptions<TNull extends boolean> {
  /** Allow no location (default false). */
  readonly null?: TNull | undefined;
  readonly default?: GeoPoint | (TNull extends true ? null : never) | (() => GeoPoint) | undefined;
  /** Your own check of a location: a message when it is invalid, `undefined` when it is fine. */
  readonly validate?: ((value: GeoPoint) => string | undefined) | undefined;
}

const GEO_OPTIONS = { null: true, default: true, validate: true } as const satisfies OptionTable<
  GeoFieldOptions<boolean>
>;

/**
 * A location `{ latitude, longitude }`, indexed in the geo set `$GeoF:Model:field` so a filter can
 * find instances within a radius (`location__within`), nearest first. Latitude and longitude 0 are
 * real places.
 * @example location: GeoField() // GEOADD $GeoF:Place:location 12.5 41.9 Place:Rome
 */
export function GeoField<
  const TNull extends boolean = false,
  const TOptions extends GeoFieldOptions<TNull> = GeoFieldOptions<TNull>,
>(
  options?: TOptions & GeoFieldOptions<TNull>,
): FieldDef<{
  readonly value: GeoPoint;
  readonly nullable: NullGiven<TOptions>;
  readonly optional: NullGiven<TOptions> extends true ? true : DefaultGiven<TOptions>;
  readonly kind: "geo";
  readonly type: "tuple";
}> {
  return new FieldDef(
    makeSpec({ kind: "geo", type: "tuple", factory: "GeoField", accepts: GEO_OPTIONS, options }),
  );
}
