/**
 * `Model.schema`: the model's `create()` input as a Standard Schema v1 (https://standardschema.dev),
 * the `~standard` interface zod, valibot and arktype share, so a framework that validates with
 * any of them (a request body, a form) can validate with the model itself. The interface is
 * written out here, as the spec invites, so popoto depends on no package for it; a type test
 * checks it against `@standard-schema/spec`.
 */
import { describeReceived, type ValidationIssue } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import { checkValue } from "./constraints.js";
import type { ModelMeta } from "./meta.js";
import { checkField, unknownFieldIssues } from "./values.js";

/** The Standard Schema v1 interface: a `~standard` property. */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardSchemaProps<Input, Output>;
}

/** The `~standard` property: version 1, the vendor, `validate`, and the types for inference. */
export interface StandardSchemaProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  /** Never throws for bad input: the issues are the result. popoto's is synchronous. */
  readonly validate: (value: unknown) => StandardSchemaResult<Output>;
  /** Type-only (undefined at run time): what `InferInput` and `InferOutput` of the spec read. */
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: readonly StandardSchemaIssue[] };

export interface StandardSchemaIssue {
  readonly message: string;
  /** The field the issue is about, as a one-segment path; absent for the input as a whole. */
  readonly path?: readonly PropertyKey[] | undefined;
}

/**
 * Validates `input` as `create()` would before its write, without writing: unknown names, types,
 * required fields (those create() fills in itself, a generated key, a default or an `autoNow`
 * date, may be left out) and the value checks. The output holds the given fields converted to
 * their canonical values (an ISO string given for a datetime becomes a Date, a related instance
 * its key), ready for `create()`. preSave does not run: it is the instance's, at create().
 */
export function validateInput(
  meta: ModelMeta,
  input: unknown,
): StandardSchemaResult<Record<string, unknown>> {
  if (input === null || typeof input !== "object" || Array.isArray(input))
    return {
      issues: [
        { message: `expected an object of ${meta.name} field values, received ${describeReceived(input)}` },
      ],
    };
  const given = input as Record<string, unknown>;
  const issues: ValidationIssue[] = unknownFieldIssues(meta, given);
  const output: Record<string, unknown> = {};
  for (const name of meta.fieldNames) {
    const spec = meta.fields.get(name) as FieldSpec;
    const value = given[name];
    if (
      value === undefined &&
      (spec.kind === "autoKey" || spec.hasDefault || spec.autoNow || spec.autoNowAdd)
    )
      continue;
    const result = checkField(meta, spec, name, value, issues);
    if (!result.ok) continue;
    checkValue(spec, name, result.value, issues);
    if (value !== undefined) output[name] = result.value;
  }
  if (issues.length === 0) return { value: output };
  return { issues: issues.map((issue) => ({ message: issue.message, path: [issue.field] })) };
}

const schemas = new WeakMap<ModelMeta, StandardSchemaV1>();

/** The model's schema object (one per model). */
export function modelSchema(meta: ModelMeta): StandardSchemaV1 {
  let schema = schemas.get(meta);
  if (!schema) {
    schema = {
      "~standard": { version: 1, vendor: "popoto", validate: (value) => validateInput(meta, value) },
    };
    schemas.set(meta, schema);
  }
  return schema;
}
