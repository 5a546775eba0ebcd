/**
 * Relationship fields are accessors on the model's prototype, so an assigned key string becomes a
 * Reference at once (`m.person = "Person:Bob"; m.person.redisKey`).
 */
import type { FieldSpec } from "../fields/field.js";
import { Reference } from "../fields/reference.js";
import { Stateful, stateOf } from "./instance-state.js";
import type { ModelMeta } from "./meta.js";
import { targetName } from "./targets.js";

const relationshipFields = new WeakMap<ModelMeta, readonly string[]>();

/** The model's relationship fields, in declaration order (computed once per model). */
export function relationshipFieldsOf(meta: ModelMeta): readonly string[] {
  let fields = relationshipFields.get(meta);
  if (!fields) {
    fields = meta.fieldNames.filter((f) => meta.fields.get(f)?.kind === "relationship");
    relationshipFields.set(meta, fields);
  }
  return fields;
}

/** A relationship value as held: instances and References as given, keys turned into References. */
const normalizeRelated = (meta: ModelMeta, field: string, value: unknown): unknown => {
  const spec = meta.fields.get(field) as FieldSpec;
  const one = (item: unknown): unknown =>
    typeof item === "string" ? new Reference({ modelName: targetName(meta.name, field, spec) }, item) : item;
  if (spec.many)
    return Array.isArray(value) ? value.map(one) : value === null || value === undefined ? [] : value;
  return value === undefined ? null : one(value);
};

/** Defines the accessor of every relationship field of `meta` on `prototype`. */
export function installRelationshipAccessors(meta: ModelMeta, prototype: object): void {
  for (const field of relationshipFieldsOf(meta)) {
    Object.defineProperty(prototype, field, {
      enumerable: true,
      configurable: true,
      get(this: object): unknown {
        const values = Stateful.peek(this)?.related;
        const value = values?.get(field);
        if (value === undefined) return meta.fields.get(field)?.many ? [] : null;
        // Keys (as loaded, or assigned) become References when first read, not when loaded.
        const pending =
          typeof value === "string" || (Array.isArray(value) && value.some((v) => typeof v === "string"));
        if (!pending) return value;
        const normalized = normalizeRelated(meta, field, value);
        values?.set(field, normalized);
        return normalized;
      },
      set(this: object, value: unknown) {
        const state = stateOf(this);
        const empty = meta.fields.get(field)?.many ? [] : null;
        (state.related ??= new Map()).set(field, value === undefined || value === null ? empty : value);
        state.dangling?.delete(field);
      },
    });
  }
}
