/**
 * Which operations are spans (observe/tracing.ts): the public methods that send commands, listed
 * here in one table instead of in each method, and wrapped once, when the first model is defined.
 * A wrapped method runs as before when no tracer is loaded (one extra call), and an operation
 * called by another one (`first()` runs `all()`, `create()` saves) belongs to the outer span.
 */
import { InstanceBase, MODEL_META } from "../model/instance.js";
import type { ModelMeta } from "../model/meta.js";
import { ModelStatics } from "../model/statics.js";
import { QueryImpl } from "../query/query.js";
import { traced } from "./tracing.js";

/** Query methods: each runs the query (or its delete) once. */
const QUERY_OPERATIONS = ["all", "first", "get", "count", "delete", "nearest", "exists", "keys"] as const;

/** Instance methods: each is one write (or one sequence of writes, for a delete with actions). */
const INSTANCE_OPERATIONS = [
  "save",
  "delete",
  "atomicIncrement",
  "addRelated",
  "removeRelated",
  "expire",
] as const;

/** Class methods that read or write. */
const MODEL_OPERATIONS = [
  "create",
  "getOrCreate",
  "updateOrCreate",
  "bulkCreate",
  "bulkUpdate",
  "bulkDelete",
  "deleteAll",
  "exists",
  "load",
  "checkIndexes",
  "cleanIndexes",
  "rebuildIndexes",
  "resumeDeletes",
] as const;

type Method = (this: unknown, ...args: unknown[]) => Promise<unknown>;

function wrap(target: object, names: readonly string[], modelOf: (self: unknown) => string): void {
  for (const name of names) {
    const original = (target as Record<string, unknown>)[name];
    if (typeof original !== "function") continue;
    const method = original as Method;
    Object.defineProperty(target, name, {
      value: function (this: unknown, ...args: unknown[]): Promise<unknown> {
        return traced(modelOf(this), name, () => method.apply(this, args));
      },
      writable: true,
      configurable: true,
    });
  }
}

let done = false;

/** Wraps the operations in spans; the first `Model()` call does it, later ones find it done. */
export function instrumentOnce(): void {
  if (done) return;
  done = true;
  wrap(QueryImpl.prototype, QUERY_OPERATIONS, (self) => (self as QueryImpl).modelName);
  wrap(InstanceBase.prototype, INSTANCE_OPERATIONS, (self) => (self as InstanceBase)[MODEL_META].name);
  wrap(ModelStatics, MODEL_OPERATIONS, (self) => (self as { readonly meta: ModelMeta }).meta.name);
}
