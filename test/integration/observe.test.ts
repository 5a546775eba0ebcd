/**
 * Seeing what popoto sends: `connect({ onCommand })` reports every command with its redacted
 * arguments and duration, and OpenTelemetry spans (one per query or write) go to the provider
 * the application registered through `@opentelemetry/api`, with the round trips counted.
 */
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import {
  connect,
  getConnection,
  KeyField,
  Model,
  SortedField,
  type CommandEvent,
  type ConnectOptions,
  isPopotoError,
} from "../../src/index.js";
import { roundTrips } from "../../src/observe/command-log.js";
import { recordSpans } from "../support/recording-tracer.js";
import { countTraffic } from "../support/round-trips.js";
import { runWorker } from "../support/run-worker.js";
import {
  clusterUrls,
  connectTestRedis,
  ON_CLUSTER,
  standaloneIt,
  TEST_URL,
  useRedis,
} from "../support/redis.js";

useRedis();

class ObsBook extends Model("ObsBook", { title: KeyField(), pages: SortedField({ type: "int" }) }) {}

const target = (): ConnectOptions => (ON_CLUSTER ? { cluster: clusterUrls() } : { url: TEST_URL });

afterEach(async () => {
  await connectTestRedis(); // back to the suite's plain connection
});

describe("connect({ onCommand })", () => {
  it("reports each command once, with its script, arguments and duration", async () => {
    const events: CommandEvent[] = [];
    await connect({ ...target(), onCommand: (event) => events.push(event) });
    events.length = 0;
    await ObsBook.create({ title: "Dune", pages: 412 });
    await ObsBook.query.filter({ pages__gte: 100 });
    await new Promise((resolve) => setImmediate(resolve)); // replies are reported as they settle
    // (after another test file's SCRIPT FLUSH, an EVALSHA fails with NOSCRIPT and EVAL follows)
    const scripts = events
      .filter((e) => e.script !== undefined && e.error === undefined)
      .map((e) => e.script);
    expect(scripts).toEqual(["write", "query"]);
    const write = events.find((e) => e.script === "write" && e.error === undefined) as CommandEvent;
    expect(write.args).toContain("ObsBook:Dune");
    expect(write.pipeline).toBe(false);
    expect(write.error).toBeUndefined();
    expect(Number.isFinite(write.durationMs) && write.durationMs >= 0).toBe(true);
    // msgpack bytes that are not text come out printable
    expect(write.args.some((a) => a.includes("\\xcd\\x01\\x9c"))).toBe(true);
  });

  it("marks pipelined commands and reports failures", async () => {
    const events: CommandEvent[] = [];
    await connect({ ...target(), onCommand: (event) => events.push(event) });
    await ObsBook.bulkCreate([
      { title: "A", pages: 1 },
      { title: "B", pages: 2 },
    ]);
    await getConnection()
      .call("HGET", "ObsBook:A")
      .catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.filter((e) => e.pipeline && e.script === "write")).toHaveLength(2);
    const failed = events.find((e) => e.name === "HGET");
    expect(failed?.error?.message).toMatch(/wrong number of arguments/);
  });

  it("never shows credentials: AUTH's and CONFIG's arguments are ***", async () => {
    const events: CommandEvent[] = [];
    await connect({ ...target(), onCommand: (event) => events.push(event) });
    await getConnection()
      .call("AUTH", "s3cret-password")
      .catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const auth = events.find((e) => e.name === "AUTH");
    expect(auth?.args).toEqual(["***"]);
    expect(JSON.stringify(events)).not.toContain("s3cret-password");
  });

  it("a listener that throws changes nothing", async () => {
    await connect({
      ...target(),
      onCommand: () => {
        throw new Error("listener failed");
      },
    });
    await ObsBook.create({ title: "Emma", pages: 474 });
    expect(await ObsBook.query.count()).toBe(1);
  });

  it("without onCommand the client is not wrapped", async () => {
    await connect({ ...target(), tracing: false });
    expect(Object.prototype.hasOwnProperty.call(getConnection(), "sendCommand")).toBe(false);
  });
});

describe("OpenTelemetry spans", () => {
  it("one span per query or write: model, operation, round trips as sent", async () => {
    const { spans, stop } = recordSpans();
    try {
      await connect(target());
      await ObsBook.create({ title: "Dune", pages: 412 });
      const book = (await ObsBook.load({ title: "Dune" })) as ObsBook;
      book.pages = 413;
      await book.save();
      const traffic = await countTraffic(() => ObsBook.query.filter({ pages__gte: 1 }).first());
      expect(spans.map((s) => s.name)).toEqual([
        "create ObsBook",
        "load ObsBook",
        "save ObsBook",
        "first ObsBook",
      ]);
      const first = spans[3];
      expect(first?.attributes).toMatchObject({
        "db.system": "redis",
        "db.operation.name": "first",
        "db.collection.name": "ObsBook",
        "popoto.round_trips": traffic.roundTrips,
      });
      expect(first?.kind).toBe(2); // SpanKind.CLIENT
      expect(spans.every((s) => s.ended)).toBe(true);
      expect(spans[0]?.attributes["popoto.round_trips"]).toBeGreaterThanOrEqual(1);
    } finally {
      stop();
    }
  });

  it("a pipeline counts as one round trip", async () => {
    const { spans, stop } = recordSpans();
    try {
      await connect(target());
      const items = Array.from({ length: 20 }, (_, i) => ({ title: `t${i}`, pages: i }));
      const traffic = await countTraffic(() => ObsBook.bulkCreate(items));
      const span = spans.find((s) => s.name === "bulkCreate ObsBook");
      expect(span?.attributes["popoto.round_trips"]).toBe(traffic.roundTrips);
      expect(traffic.roundTrips).toBeLessThan(20);
    } finally {
      stop();
    }
  });

  it("a failed write ends its span with an error status and the error's code", async () => {
    const { spans, stop } = recordSpans();
    try {
      await connect(target());
      await ObsBook.create({ title: "Dune", pages: 412 });
      const error = await ObsBook.create({ title: "Dune", pages: 1 }).catch((e: unknown) => e);
      expect(isPopotoError(error, "KEY_CONFLICT")).toBe(true);
      const failed = spans[1];
      expect(failed?.status?.code).toBe(2); // SpanStatusCode.ERROR
      expect(failed?.attributes["popoto.error.code"]).toBe("KEY_CONFLICT");
      expect(failed?.exceptions).toHaveLength(1);
    } finally {
      stop();
    }
  });

  it("with the API installed but no provider registered, operations run outside any span context", async () => {
    // The API's non-recording spans are skipped, with the round-trip counter: its AsyncLocalStorage
    // would put a promise hook on every promise of the process for spans nobody records.
    const counters: unknown[] = [];
    class HookedBook extends Model("ObsHooked", { title: KeyField() }) {
      override preSave(): void {
        counters.push(roundTrips.getStore());
      }
    }
    await connect(target());
    await HookedBook.create({ title: "unrecorded" });
    const { stop } = recordSpans();
    try {
      await HookedBook.create({ title: "recorded" });
    } finally {
      stop();
    }
    expect(counters).toHaveLength(2);
    expect(counters[0]).toBeUndefined();
    expect(counters[1]).toMatchObject({ roundTrips: expect.any(Number) as number });
  });

  it("connect({ tracing: false }) makes no spans", async () => {
    const { spans, stop } = recordSpans();
    try {
      await connect({ ...target(), tracing: false });
      await ObsBook.create({ title: "Dune", pages: 412 });
      expect(spans).toEqual([]);
    } finally {
      stop();
    }
  });
});

describe("without @opentelemetry/api installed", () => {
  standaloneIt("runs its worker on the standalone test database")(
    "makes no spans, wraps nothing, and works as before",
    async () => {
      const seen = await runWorker<Record<string, unknown>>(
        "test/support/no-otel-worker.ts",
        [TEST_URL],
        "no-otel",
      );
      expect(seen).toEqual({ loadable: false, traced: false, wrapped: false, count: 1 });
    },
  );
});

describe("POPOTO_DEBUG=1", () => {
  standaloneIt("runs its worker on the standalone test database")(
    "prints one line per command on stderr, credentials redacted",
    async () => {
      const child = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "test/support/no-otel-worker.ts",
          TEST_URL.replace("redis://", "redis://:pw-hidden-1@"),
        ],
        { encoding: "utf8", env: { ...process.env, POPOTO_DEBUG: "1" } },
      );
      expect(child.status, child.stderr).toBe(0);
      const lines = child.stderr.trim().split("\n");
      expect(lines.some((l) => /^popoto \d+\.\d\d ms EVALSHA \[write\.lua\] .*NoOtel:a/.test(l))).toBe(true);
      expect(lines.some((l) => /^popoto \d+\.\d\d ms AUTH \*\*\*/.test(l))).toBe(true);
      expect(child.stderr).not.toContain("pw-hidden-1");
      expect(JSON.parse(child.stdout.trim())).toMatchObject({ wrapped: true, count: 1 });
    },
  );
});
