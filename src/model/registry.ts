/**
 * Models by name, for relationships declared with a model name (`Relationship("Author")`).
 *
 * Apps that want query results typed as their own subclasses (with custom getters and methods),
 * and relationships by name typed, register their classes once:
 *
 * ```ts
 * declare module "popoto" {
 *   interface Models { Book: typeof Book; Author: typeof Author }
 * }
 * ```
 */
export interface Models {}

const byName = new Map<string, unknown>();

/** @internal */
export const registerModel = (name: string, model: unknown): boolean => {
  // The same class registered again (a module re-evaluated) is fine; another class is not.
  if (byName.has(name)) return false;
  byName.set(name, model);
  return true;
};

/** @internal */
export const lookupModel = (name: string): unknown => byName.get(name);

/**
 * @internal Records the user's subclass (`class Book extends Model(…)`) as the model's class once
 * it is used, so References and include() build instances with its getters and methods.
 */
export const noteSubclass = (name: string, model: unknown): void => {
  const current = byName.get(name);
  if (current === model || typeof model !== "function" || typeof current !== "function") return;
  if (model.prototype instanceof current) byName.set(name, model);
};

/** @internal Every defined model class. */
export const allModels = (): unknown[] => [...byName.values()];

/** @internal Removes a model (tests that define throwaway models). */
export const unregisterModel = (name: string): void => {
  byName.delete(name);
};
