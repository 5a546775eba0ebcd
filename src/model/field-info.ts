import type { FieldSpec } from "../fields/field.js";
import type { ModelMeta } from "./meta.js";
import type { FieldInfo } from "./model-types.js";
import { targetName } from "./targets.js";

/** `Model.fields`: what each field is, as plain data (tools, the studio, generated forms). */
export function fieldInfo(meta: ModelMeta, field: string): FieldInfo {
  const spec = meta.fields.get(field) as FieldSpec;
  return {
    name: field,
    kind: spec.kind,
    type: spec.type,
    nullable: spec.nullable,
    hasDefault: spec.hasDefault,
    key: meta.keyFields.includes(field),
    hidden: field.startsWith("_"),
    maxLength: spec.maxLength,
    partitionBy: spec.partitionBy,
    target: spec.kind === "relationship" ? targetName(meta.name, field, spec) : undefined,
    many: spec.many,
    onDelete: spec.kind === "relationship" ? spec.onDelete : undefined,
    lexIndex: spec.lexIndex,
  };
}
