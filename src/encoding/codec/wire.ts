/**
 * Popoto's codec on top of @msgpack/msgpack: hash values and pub/sub messages as msgpack, byte for
 * byte as Python Popoto writes them (storage spec §4). Python's msgpack has no types for Decimal,
 * set, tuple, datetime, date or time, so Popoto writes them as "tagged maps":
 * `{"__set__": true, "as_encodable": [...]}`, tag key first. encode.ts turns a JS Date, Set or
 * wide integer into what Python would have sent; decode.ts reads it back. This module holds what
 * both sides share: the tagged-map form.
 */

export const AS_ENCODABLE = "as_encodable";

/** A tagged map; the object literal keeps the tag key first, as Popoto writes it. */
export const tagged = (tag: string, value: unknown): Record<string, unknown> => ({
  [tag]: true,
  [AS_ENCODABLE]: value,
});

/*
 * Popoto recognises a tagged map by an "as_encodable" key plus one of these tag keys, checked in
 * this order (its TYPE_ENCODER_DECODERS order); the tag's value is not looked at.
 */
export const TAGS = ["__Decimal__", "__tuple__", "__set__", "__datetime__", "__date__", "__time__"] as const;
export type Tag = (typeof TAGS)[number];

export const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" &&
  value !== null &&
  !Array.isArray(value) &&
  !ArrayBuffer.isView(value) &&
  !(value instanceof Date);

export const tagOf = (value: unknown): Tag | undefined => {
  if (!isMap(value) || !Object.hasOwn(value, AS_ENCODABLE)) return undefined;
  return TAGS.find((tag) => Object.hasOwn(value, tag));
};
