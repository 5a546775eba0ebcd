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
  setAttribute(key: string, value: string | number): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error): unknown;
  end(): void;
}
interface Tracer {
  startActiveSpan<T>(
    name: string,
    options: { kind: number; attributes: Record<string, string> },
    fn: (span: Span) => T,
  ): T;
}
interface TraceApi {
  readonly trace: { getTracer(name: string, version?: string): Tracer };
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
    if (found?.trace !== undefined) api = found as TraceApi;
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
  const tracer = api.trace.getTracer("popoto", VERSION);
  const attributes = { "db.system": "redis", "db.operation.name": operation, "db.collection.name": model };
  return tracer.startActiveSpan(
    `${operation} ${model}`,
    { kind: SPAN_KIND_CLIENT, attributes },
    async (span) => {
      const counter = { roundTrips: 0, pipelines: new WeakSet<object>() };
      try {
        return await roundTrips.run(counter, run);
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        span.recordException(failure);
        span.setStatus({ code: STATUS_ERROR, message: failure.message });
        if (typeof (error as { code?: unknown }).code === "string")
          span.setAttribute("popoto.error.code", (error as { code: string }).code);
        throw error;
      } finally {
        span.setAttribute("popoto.round_trips", counter.roundTrips);
        span.end();
      }
    },
  );
}
