/** `create()`, `getOrCreate()` and `updateOrCreate()`: writes that must not overwrite a stored instance. */
import { KeyConflictError, PopotoError, UniqueViolationError, ValidationError } from "../errors.js";
import type { QueryAccessorImpl } from "../query/accessor.js";
import { AlreadyExists, executeWrites } from "../write/execute-write.js";
import { runPostHooks } from "./hooks.js";
import type { InstanceBase } from "./instance.js";
import { stateOf } from "./instance-state.js";
import type { ModelMeta } from "./meta.js";
import { PREPARE_SAVE } from "./prepare-save.js";
import { rejectUnknownFields, unknownFieldIssues, validateForSave } from "./values.js";

/** A model class as create() needs it: constructible from values. */
export type Constructible = new (values?: Record<string, unknown>) => InstanceBase;

/** `create(values)`: validates everything, then writes only if nothing is stored at the key. */
export async function createInstance(
  meta: ModelMeta,
  Class: Constructible,
  values: Record<string, unknown>,
): Promise<InstanceBase> {
  if (values === null || typeof values !== "object")
    throw new ValidationError(
      meta.name,
      [
        {
          field: "(input)",
          expected: "an object of field values",
          received: String(values),
          message: "create() takes an object of field values",
        },
      ],
      "created",
    );
  const unknown = unknownFieldIssues(meta, values);
  if (unknown.length > 0) {
    // Every problem at once: the unknown names, then what is wrong with the known fields.
    const known = Object.fromEntries(Object.entries(values).filter(([field]) => meta.fields.has(field)));
    const issues = [...unknown];
    try {
      validateForSave(meta, new Class(known));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
    }
    throw new ValidationError(meta.name, issues, "created");
  }
  const instance = new Class(values);
  // Create-only: the write script refuses a key that holds a hash, in the same atomic step
  // that writes it, so two concurrent create() calls of one key cannot both succeed.
  const prepared = await instance[PREPARE_SAVE]({ createOnly: true });
  if (!prepared) return instance;
  try {
    await executeWrites([prepared.intent]);
  } catch (error) {
    if (error instanceof AlreadyExists) throw new KeyConflictError(meta.name, undefined, error.key);
    throw error;
  }
  prepared.commit();
  await runPostHooks(meta.name, "postSave", [{ instance, key: stateOf(instance).pk ?? instance.redisKey }]);
  return instance;
}

/** getOrCreate / updateOrCreate: find, else create only if nothing is stored there (else find again). */
export async function findOrCreate(
  meta: ModelMeta,
  Class: Constructible & { readonly query: QueryAccessorImpl },
  lookup: Record<string, unknown>,
  create: Record<string, unknown>,
  update: Record<string, unknown> | undefined,
): Promise<[InstanceBase, boolean]> {
  rejectUnknownFields(meta, create, "created");
  for (let attempt = 0; attempt < 8; attempt++) {
    const found = (await Class.query.get(lookup)) as InstanceBase | null;
    if (found) {
      if (update && Object.keys(update).length > 0) {
        Object.assign(found, update);
        await found.save({ fields: Object.keys(update) });
      }
      return [found, false];
    }
    const instance = new Class(create);
    const prepared = await instance[PREPARE_SAVE]({ createOnly: true });
    try {
      if (prepared) await executeWrites([prepared.intent]);
    } catch (error) {
      // Another caller created it first (same key, or same unique value): find theirs.
      if (error instanceof AlreadyExists || error instanceof UniqueViolationError) continue;
      throw error;
    }
    prepared?.commit();
    const key = stateOf(instance).pk ?? instance.redisKey;
    await runPostHooks(meta.name, "postSave", [{ instance, key }]);
    return [instance, true];
  }
  throw new PopotoError(
    "CONCURRENT_MODIFICATION",
    `${meta.name}: getOrCreate kept racing with other writers; retry.`,
    {
      model: meta.name,
    },
  );
}
