import type { FieldSpec } from "../fields/field.js";
import type { ModelMeta } from "../model/meta.js";
import { targetModel } from "../model/targets.js";
import { opsFor } from "./operators.js";

/**
 * Every valid filter key of a model (Popoto's `get_filter_query_params`), for tooling and error
 * messages: `title`, `title__in`, …, and through relationships `author__name`, … down to `depth`
 * relationship hops (cycles stop there).
 */
export function filterParams(meta: ModelMeta, depth = 1): string[] {
  const params: string[] = [];
  for (const [name, spec] of meta.fields) {
    for (const op of opsFor(spec)) params.push(op === "" ? name : `${name}__${op}`);
    if (spec.kind === "relationship" && depth > 0) {
      let target: ModelMeta | undefined;
      try {
        target = targetModel(meta.name, name, spec as FieldSpec).meta;
      } catch {
        target = undefined; // a target not defined yet has no keys to list
      }
      if (target) for (const param of filterParams(target, depth - 1)) params.push(`${name}__${param}`);
    }
  }
  return params;
}
