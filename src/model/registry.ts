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
  if (byName.has(name)) return false;
  byName.set(name, model);
  return true;
};

/** @internal */
export const lookupModel = (name: string): unknown => byName.get(name);

/** @internal Removes a model (tests that define throwaway models). */
export const unregisterModel = (name: string): void => {
  byName.delete(name);
};
