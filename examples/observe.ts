/**
 * Seeing what popoto sends: every command with its duration (`connect({ onCommand })`), and one
 * OpenTelemetry span per query or write when `@opentelemetry/api` is installed (here with a tiny
 * provider that prints each span as it ends; an application registers its SDK instead).
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/observe.ts
 *   POPOTO_DEBUG=1 npx tsx examples/observe.ts   # the same commands, printed on stderr
 *
 * It deletes every instance of its model (ObsArticle) at the end.
 */
import { trace, type Span, type Tracer } from "@opentelemetry/api";
import { connect, disconnect, KeyField, Model, SortedField, type CommandEvent } from "../src/index.js";

class ObsArticle extends Model("ObsArticle", { slug: KeyField(), words: SortedField({ type: "int" }) }) {}

/** Prints a span's name and attributes when it ends. */
function printingSpan(name: string, attributes: Record<string, unknown>): Span {
  const span = trace.wrapSpanContext({ traceId: "1".repeat(32), spanId: "2".repeat(16), traceFlags: 1 });
  const seen = { ...attributes };
  span.setAttribute = (key, value) => ((seen[key] = value), span);
  span.end = () => console.log(`span "${name}"`, seen);
  return span;
}
const tracer = {
  startSpan: (name: string, options?: { attributes?: Record<string, unknown> }) =>
    printingSpan(name, options?.attributes ?? {}),
  startActiveSpan: (
    name: string,
    options: { attributes?: Record<string, unknown> },
    fn: (span: Span) => unknown,
  ) => fn(printingSpan(name, options.attributes ?? {})),
} as unknown as Tracer;
trace.setGlobalTracerProvider({ getTracer: () => tracer });

const commands: CommandEvent[] = [];
await connect({ onCommand: (event) => commands.push(event) });
try {
  await ObsArticle.bulkCreate([
    { slug: "redis-sets", words: 900 },
    { slug: "lua-scripts", words: 1400 },
  ]);
  const long = await ObsArticle.query().filter({ words__gte: 1000 });
  console.log(
    "long articles:",
    long.map((a) => a.slug),
  );
  await new Promise((resolve) => setImmediate(resolve));
  for (const c of commands)
    console.log(
      `${c.durationMs.toFixed(2)} ms ${c.pipeline ? "pipeline " : ""}${c.name}${c.script ? ` [${c.script}]` : ""}`,
    );
} finally {
  await ObsArticle.deleteAll();
  await disconnect();
  trace.disable();
}
