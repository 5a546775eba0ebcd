/**
 * OpenTelemetry spans, one per query or write (model, operation, round trips), through
 * `@opentelemetry/api` when the application has it installed, and nothing at all when it does
 * not: the package is an optional peer dependency, imported dynamically at `connect()`. Spans go
 * to whatever tracer provider the application registered (none registered: the API's no-op).
 *
 * The API is described here by the few members popoto calls, so popoto's types never name the
 * package and compile without it.
 */
import { roundTrips } from "./command-log.js";

interface Span {
  isRecording(): boolean;
  setAttribute(key: string, value: string | number): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error): unknown;
  end(): void;
}
interface Tracer {
  startSpan(name: string, options: { kind: number; attributes: Record<string, string> }): Span;
}
interface TraceApi {
  readonly trace: {
    getTracer(name: string, version?: string): Tracer;
    setSpan(context: unknown, span: Span): unknown;
  };
  readonly context: { active(): unknown; with<T>(context: unknown, fn: () => T): T };
}

/** The API's numbers: SpanKind.CLIENT, SpanStatusCode.ERROR. */
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;
const VERSION = "0.1.0";

let api: TraceApi | undefined;

/**
 * Loads `@opentelemetry/api` if the application has it (`enabled` false: never). Returns whether
 * spans will be made.
 */
export async function loadTracing(enabled: boolean): Promise<boolean> {
  api = undefined;
  if (!enabled) return false;
  try {
    const specifier = "@opentelemetry/api";
    const loaded = (await import(specifier)) as Partial<TraceApi> & { default?: Partial<TraceApi> };
    const found = loaded.trace !== undefined ? loaded : loaded.default;
    if (found?.trace !== undefined && found.context !== undefined) api = found as TraceApi;
  } catch {
    // Not installed: no spans, and nothing else changes.
  }
  return api !== undefined;
}

/** True when spans are made (the API was found at connect()). */
export const tracingOn = (): boolean => api !== undefined;

/**
 * Runs one public operation (`Book.count`, `Book.save`) in a span named `count Book`, with the
 * attributes `db.system` (`redis`), `db.operation.name`, `db.collection.name` (the model) and
 * `popoto.round_trips` (the round trips its commands took: a pipeline is one). An operation
 * called inside another (`first()` runs `all()`) is part of the outer span, not one of its own.
 */
export function traced<T>(model: string, operation: string, run: () => Promise<T>): Promise<T> {
  if (api === undefined || roundTrips.getStore() !== undefined) return run();
  const attributes = { "db.system": "redis", "db.operation.name": operation, "db.collection.name": model };
  const span = api.trace
    .getTracer("popoto", VERSION)
    .startSpan(`${operation} ${model}`, { kind: SPAN_KIND_CLIENT, attributes });
  // With the API installed but no tracer provider registered (a common transitive install), every
  // span is the API's non-recording one: skip the context and the round-trip counter, whose
  // AsyncLocalStorage would otherwise put a promise hook on every promise of the process.
  if (!span.isRecording()) {
    span.end();
    return run();
  }
  const counter = { roundTrips: 0, pipelines: new WeakSet<object>() };
  const finish = (): void => {
    span.setAttribute("popoto.round_trips", counter.roundTrips);
    span.end();
  };
  const active = api.trace.setSpan(api.context.active(), span);
  return api.context
    .with(active, () => roundTrips.run(counter, run))
    .then(
      (result) => {
        finish();
        return result;
      },
      (error: unknown) => {
        const failure = error instanceof Error ? error : new Error(String(error));
        span.recordException(failure);
        span.setStatus({ code: STATUS_ERROR, message: failure.message });
        if (typeof (error as { code?: unknown }).code === "string")
          span.setAttribute("popoto.error.code", (error as { code: string }).code);
        finish();
        throw error;
      },
    );
}
