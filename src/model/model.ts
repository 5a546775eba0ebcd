/**
 * `Model(name, fields)`: checks the declaration, then builds the model's class on the shared
 * bases (instance methods in instance.ts, class methods in statics.ts) with the model's meta.
 */
import { ModelDefinitionError } from "../errors.js";
import { instrumentOnce } from "../observe/instrument.js";
import { defineMeta } from "./define.js";
import { MODEL_META } from "./instance.js";
import type { ModelOptions } from "./meta.js";
import type { ChangeFeedStatics, LookupName, ModelClass } from "./model-types.js";
import { registerModel } from "./registry.js";
import { installRelationshipAccessors } from "./relationship-accessors.js";
import { ModelStatics } from "./statics.js";
import type { Fields } from "./value-types.js";
export type {
  AnyConstructor,
  ChangeFeedStatics,
  CreateLookup,
  FieldInfo,
  FieldsOf,
  InferCreate,
  InferValues,
  LookupName,
  QueryAccessor,
  RelationshipTo,
  InstanceMembers,
  InstanceOf,
  ManyRelationshipName,
  ModelClass,
  ModelInstance,
  NumericFieldName,
  QueryInstance,
  SaveOptions,
  ToDictOptions,
} from "./model-types.js";

/**
 * Defines a model: a class to extend, whose fields come from `fields` and whose instances are
 * Redis hashes at `Name:<key parts>`, indexed as docs/storage.md describes.
 * @example class Book extends Model("Book", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}
 */
export function Model<
  const TName extends string,
  const TFields extends Fields,
  const TChanges extends ModelOptions["changes"] = undefined,
>(
  name: TName,
  fields: TFields,
  options?: Omit<ModelOptions<keyof TFields & string, LookupName<TFields>>, "changes"> & {
    readonly changes?: TChanges;
  },
): ModelClass<TName, TFields> & ChangeFeedStatics<TFields, TChanges> {
  const meta = defineMeta(name, fields, options);
  instrumentOnce();

  class PopotoModel extends ModelStatics {
    static override readonly meta = meta;
    static override readonly modelName: string = name;
  }
  // Read by the shared instance methods (instance.ts); not enumerable, so never taken for a field.
  Object.defineProperty(PopotoModel.prototype, MODEL_META, { value: meta });
  installRelationshipAccessors(meta, PopotoModel.prototype);
  Object.defineProperty(PopotoModel, "name", { value: name });
  if (!registerModel(name, PopotoModel))
    throw new ModelDefinitionError(
      name,
      `a model named ${name} is already defined; model names are key prefixes and must be unique. Rename one of them.`,
    );
  // The class is typed from the field definitions (model-types.ts), which its run-time shape
  // cannot express: the one cast of the model layer.
  return PopotoModel as unknown as ModelClass<TName, TFields> & ChangeFeedStatics<TFields, TChanges>;
}
