/** How an instance shows itself: `toJSON()` (JSON.stringify) and util.inspect / console.log. */
import { stateOf } from "./instance-state.js";
import type { ModelMeta } from "./meta.js";
import { relationshipFieldsOf } from "./relationship-accessors.js";

/**
 * A field value as JSON can hold it: a set as an array, bytes as base64, the same inside lists
 * and dicts (Dates are left to their own toJSON: ISO text).
 */
const jsonValue = (value: unknown): unknown => {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (value instanceof Set) return [...value].map(jsonValue);
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  return value;
};

/** A relationship as JSON: the related key (or keys). */
const plainRelated = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(plainRelated)
    : value !== null && typeof value === "object" && "redisKey" in value
      ? value.redisKey
      : value;

/** The instance's non-hidden fields as JSON values. */
export function instanceJSON(meta: ModelMeta, instance: Record<string, unknown>): Record<string, unknown> {
  const relationships = relationshipFieldsOf(meta);
  return Object.fromEntries(
    meta.fieldNames
      .filter((f) => !f.startsWith("_"))
      .map((f) => [f, relationships.includes(f) ? plainRelated(instance[f]) : jsonValue(instance[f])]),
  );
}

/** What console.log and util.inspect show: the class, the key and every field (relationships too). */
export function inspectInstance(
  meta: ModelMeta,
  instance: Record<string, unknown> & { readonly redisKey: string },
  depth: number,
  options: object,
  inspect: (value: unknown, options: object) => string,
): string {
  const fields: Record<string, unknown> = {};
  for (const f of meta.fieldNames) fields[f] = instance[f];
  let key: string;
  try {
    key = stateOf(instance).pk ?? instance.redisKey;
  } catch {
    key = "unsaved";
  }
  const shown = depth < 0 ? "{ … }" : inspect(fields, { ...options, depth });
  return `${instance.constructor.name} <${key}> ${shown}`;
}
