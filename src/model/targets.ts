import { ModelDefinitionError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { ModelMeta } from "./meta.js";
import { allModels, lookupModel } from "./registry.js";

/** What popoto needs of a model class at run time. */
export interface ModelRuntime {
  readonly meta: ModelMeta;
  readonly modelName: string;
  load(key: string): Promise<object | null>;
}

const isModelClass = (value: unknown): value is ModelRuntime =>
  typeof value === "function" && "meta" in value && typeof (value as { meta: unknown }).meta === "object";

/**
 * The model class a relationship points at. Targets are resolved when first used, not when
 * declared, so a model can name itself or a model defined later.
 */
export function targetModel(owner: string, field: string, spec: FieldSpec): ModelRuntime {
  const target = spec.target;
  let resolved: unknown;
  if (typeof target === "string") resolved = lookupModel(target);
  else if (isModelClass(target)) resolved = target;
  else if (typeof target === "function") resolved = (target as () => unknown)();
  else resolved = target;
  if (!isModelClass(resolved))
    throw new ModelDefinitionError(
      owner,
      `the target of relationship "${field}" (${typeof target === "string" ? `"${target}"` : String(target)}) ` +
        `is not a defined model; define it with Model(), or check the name.`,
      field,
    );
  return resolved;
}

/** The target model's name without resolving a class when the name is given. */
export const targetName = (owner: string, field: string, spec: FieldSpec): string =>
  typeof spec.target === "string" ? spec.target : targetModel(owner, field, spec).modelName;

/** A relationship pointing at a model, with the model that declares it. */
export interface IncomingRelationship {
  readonly model: ModelRuntime;
  readonly field: string;
  readonly spec: FieldSpec;
}

/** Every relationship of every defined model whose target is the model named `name`. */
export function incomingRelationships(name: string): IncomingRelationship[] {
  const found: IncomingRelationship[] = [];
  for (const candidate of allModels()) {
    if (!isModelClass(candidate)) continue;
    for (const [field, spec] of candidate.meta.fields) {
      if (spec.kind !== "relationship") continue;
      if (targetName(candidate.meta.name, field, spec) === name)
        found.push({ model: candidate, field, spec });
    }
  }
  return found;
}
