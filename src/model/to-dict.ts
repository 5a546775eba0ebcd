import type { ToDictOptions } from "./model-types.js";

interface ModelLike {
  readonly constructor: {
    readonly meta?: {
      readonly fieldNames: readonly string[];
      readonly fields: ReadonlyMap<string, { readonly kind: string }>;
    };
  };
  readonly redisKey?: string;
}

const isInstance = (value: unknown): value is ModelLike =>
  value !== null &&
  typeof value === "object" &&
  typeof (value.constructor as { meta?: unknown }).meta === "object";

const keyOf = (value: unknown): unknown =>
  value !== null && typeof value === "object" && "redisKey" in value
    ? (value as { redisKey: unknown }).redisKey
    : value;

/**
 * The non-hidden fields of an instance as a plain object (Popoto's `to_dict`). Relationships give
 * the related key, or (with `relationships: true`) a nested object for each loaded instance down
 * to `depth`; a cycle or a deeper level gives the key.
 */
export function toDict(
  instance: object,
  options: ToDictOptions,
  depth: number,
  visiting: Set<object>,
): Record<string, unknown> {
  const meta = (instance as ModelLike).constructor.meta;
  if (!meta) return {};
  const record = instance as Record<string, unknown>;
  visiting.add(instance);
  const out: Record<string, unknown> = {};
  for (const field of meta.fieldNames) {
    if (field.startsWith("_")) continue;
    if (options.include && !options.include.includes(field)) continue;
    if (options.exclude?.includes(field)) continue;
    const value = record[field];
    if (meta.fields.get(field)?.kind !== "relationship") {
      out[field] = value;
      continue;
    }
    const nested = (item: unknown): unknown =>
      options.relationships && depth > 0 && isInstance(item) && !visiting.has(item)
        ? toDict(item, { ...options, include: undefined, exclude: undefined }, depth - 1, visiting)
        : keyOf(item);
    out[field] = Array.isArray(value) ? value.map(nested) : nested(value);
  }
  visiting.delete(instance);
  return out;
}
