/** `Model.query`: one query accessor per class, whose results are built with that class. */
import { queryAccessor, type QueryAccessorImpl } from "../query/accessor.js";
import { QueryImpl, type QueryTarget } from "../query/query.js";
import { hydrateRow, type BlankConstructible } from "./hydrate-row.js";
import { loadKey } from "./load.js";
import type { ModelMeta } from "./meta.js";

const accessors = new WeakMap<object, QueryAccessorImpl>();

/** The accessor of a model class (`Book`, the user's subclass, or the class `Model()` returned). */
export function accessorFor(meta: ModelMeta, Class: BlankConstructible): QueryAccessorImpl {
  let accessor = accessors.get(Class);
  if (!accessor) {
    const target: QueryTarget = {
      meta,
      hydrateRow: (row) => hydrateRow(meta, Class, row),
      loadKey: (key) => loadKey(meta, Class, key),
    };
    accessors.set(Class, (accessor = queryAccessor(new QueryImpl(target))));
  }
  return accessor;
}
