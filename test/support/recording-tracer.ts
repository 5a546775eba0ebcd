/**
 * A tracer provider that keeps the spans it is given, registered through the OpenTelemetry API's
 * own hook (`trace.setGlobalTracerProvider`), as an SDK would be: what popoto hands the API is
 * what these tests read. It implements the API's interfaces, so a change there fails to compile.
 */
import {
  context as otelContext,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

export interface RecordedSpan {
  readonly name: string;
  readonly kind: number | undefined;
  readonly attributes: Record<string, AttributeValue | undefined>;
  status: SpanStatus | undefined;
  readonly exceptions: Exception[];
  ended: boolean;
}

class RecordingSpan implements Span {
  readonly #context: SpanContext = { traceId: "1".repeat(32), spanId: "2".repeat(16), traceFlags: 1 };
  constructor(readonly record: RecordedSpan) {}
  spanContext(): SpanContext {
    return this.#context;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.record.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.record.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.record.status = status;
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {
    this.record.ended = true;
  }
  isRecording(): boolean {
    return !this.record.ended;
  }
  recordException(exception: Exception): void {
    this.record.exceptions.push(exception);
  }
}

class RecordingTracer implements Tracer {
  constructor(private readonly spans: RecordedSpan[]) {}
  startSpan(name: string, options?: SpanOptions): Span {
    const record: RecordedSpan = {
      name,
      kind: options?.kind,
      attributes: { ...(options?.attributes ?? {}) },
      status: undefined,
      exceptions: [],
      ended: false,
    };
    this.spans.push(record);
    return new RecordingSpan(record);
  }
  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length > 1 ? rest[0] : undefined) as SpanOptions | undefined;
    const span = this.startSpan(name, options);
    return otelContext.with(trace.setSpan(otelContext.active(), span), () => fn(span)) as ReturnType<F>;
  }
}

/** Registers a recording provider globally; returns the spans list and the undo. */
export function recordSpans(): { spans: RecordedSpan[]; stop: () => void } {
  const spans: RecordedSpan[] = [];
  const provider: TracerProvider = { getTracer: () => new RecordingTracer(spans) };
  trace.setGlobalTracerProvider(provider);
  return { spans, stop: () => trace.disable() };
}
