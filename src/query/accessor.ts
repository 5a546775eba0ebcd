import { QueryImpl } from "./query.js";

/** The model's query, held by its accessor. */
const BASE: unique symbol = Symbol("popoto.query");

/** `Book.query`: a function (`Book.query()`) that also has every query method (`Book.query.filter()`). */
export type QueryAccessorImpl = (() => QueryImpl) & QueryImpl;

// One prototype for every accessor: each query method forwards to the accessor's query, so
// `Book.query.filter(...)` and `Book.query().filter(...)` run the same code.
const methods: Record<string, unknown> = Object.create(Function.prototype) as Record<string, unknown>;
for (const name of Object.getOwnPropertyNames(QueryImpl.prototype)) {
  if (name === "constructor") continue;
  methods[name] = function (this: { [BASE]: QueryImpl }, ...args: unknown[]): unknown {
    const query = this[BASE] as unknown as Record<string, (...a: unknown[]) => unknown>;
    return (query[name] as (...a: unknown[]) => unknown).apply(query, args);
  };
}

/** @internal The accessor of one model class: made once, since queries are immutable. */
export const queryAccessor = (query: QueryImpl): QueryAccessorImpl => {
  const accessor = (() => query) as unknown as QueryAccessorImpl;
  Object.setPrototypeOf(accessor, methods);
  Object.defineProperty(accessor, BASE, { value: query });
  return accessor;
};
