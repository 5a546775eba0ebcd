/**
 * CPU profiles of a workload through the V8 inspector (what `node --cpu-prof` records), summarized
 * as self time per function and per area (popoto's files, ioredis, msgpack, Node, GC).
 */
import { readdirSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { findSourceMap } from "node:module";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Session, type Profiler, type Runtime } from "node:inspector/promises";

export interface FunctionTime {
  readonly name: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly label: string;
  readonly totalMs: number;
  /** Self time by area: a popoto source file, a dependency, Node internals, GC, idle. */
  readonly areas: readonly FunctionTime[];
  /** The functions with the most self time. */
  readonly functions: readonly FunctionTime[];
  /** Time spent in each popoto function and everything it called. */
  readonly popotoInclusive: readonly FunctionTime[];
  readonly file: string;
}

/** tsx compiles with esbuild's keepNames: every function created at run time goes through `__name`. */
const KEEP_NAMES = new Set(["__name", "set name"]);

const area = (frame: Runtime.CallFrame): string => {
  const url = frame.url;
  if (KEEP_NAMES.has(frame.functionName)) return "tsx keepNames helper (__name)";
  const src = url.indexOf("/src/");
  if (src >= 0 && !url.includes("node_modules")) return `popoto ${url.slice(src + 1)}`;
  const bench = url.indexOf("/bench/");
  if (bench >= 0) return "bench code (harness, subjects)";
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1] ?? "dependency";
  if (url.startsWith("node:")) return "node internals";
  if (frame.functionName === "(garbage collector)") return "GC";
  if (frame.functionName === "(idle)") return "idle (waiting for Redis)";
  if (frame.functionName === "(program)") return "V8/native (program)";
  return frame.url === "" ? `native ${frame.functionName}` : "other";
};

const sources = new Map<string, string[]>();

/**
 * Reads the TypeScript sources now, at start-up, so profile labels quote the code that was loaded
 * even if the files are edited while the benchmark runs.
 */
export function rememberSources(dirs: readonly string[]): void {
  for (const dir of dirs)
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
      const path = join(entry.parentPath, entry.name);
      sources.set(pathToFileURL(resolve(path)).href, readFileSync(path, "utf8").split("\n"));
    }
}

const sourceLine = (url: string, line: number): string => sources.get(url)?.[line] ?? "";

/**
 * `name file:line`, in the TypeScript source (tsx's output is mapped back through its source map);
 * an arrow function by the name it is assigned to, else by the start of its source text.
 */
const label = (frame: Runtime.CallFrame): string => {
  let line = frame.lineNumber;
  let column = frame.columnNumber;
  let url = frame.url;
  if (url.startsWith("file://") && !url.includes("node_modules")) {
    const entry = findSourceMap(url)?.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry && "originalLine" in entry) {
      line = entry.originalLine;
      column = entry.originalColumn;
      url = entry.originalSource;
    }
  }
  let name = frame.functionName;
  if (!name && url.startsWith("file://")) {
    // `const escapePart = (…) =>` or `loadKey: (key) =>`: the name before the arrow; else its text.
    const text = sourceLine(url, line);
    const before = /(\w+)\s*[:=]\s*(?:async\s*)?\(?$/.exec(text.slice(0, column))?.[1];
    const start = text.slice(column, column + 32).trim();
    name = before ? `${before} (arrow)` : start ? `(anonymous: ${start}…)` : "";
  }
  const file = url.replace(/^.*\/(src|bench|node_modules)\//, "$1/");
  return `${name || "(anonymous)"} ${file ? `${file}:${line + 1}` : ""}`.trim();
};

const top = (times: Map<string, number>, total: number, count: number): FunctionTime[] =>
  [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), share: ms / total }));

function summarize(name: string, profile: Profiler.Profile, file: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0) / 1000));
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  // Walk from the root, charging each node's self time to every popoto function on its stack once.
  const walk = (id: number, stack: readonly string[]): void => {
    const node = byId.get(id);
    if (!node) return;
    const ms = self.get(id) ?? 0;
    const here = label(node.callFrame);
    const popoto = area(node.callFrame).startsWith("popoto") && !stack.includes(here);
    const next = popoto ? [...stack, here] : stack;
    // The inspector's own `dispatch` (serializing the profile when it stops) is not the workload's.
    const profiler = node.callFrame.functionName === "dispatch" && node.callFrame.url === "";
    if (ms > 0 && !profiler) {
      total += ms;
      const where = area(node.callFrame);
      areas.set(where, (areas.get(where) ?? 0) + ms);
      functions.set(here, (functions.get(here) ?? 0) + ms);
      for (const fn of next) inclusive.set(fn, (inclusive.get(fn) ?? 0) + ms);
    }
    for (const child of node.children ?? []) walk(child, next);
  };
  const root = profile.nodes[0];
  if (root) walk(root.id, []);
  return {
    label: name,
    totalMs: Math.round(total),
    areas: top(areas, total, 20),
    functions: top(functions, total, 25),
    popotoInclusive: top(inclusive, total, 25),
    file,
  };
}

/** Runs `work` under the CPU profiler, saves the raw profile and returns its summary. */
export async function profiled<T>(
  name: string,
  file: string,
  work: () => Promise<T>,
): Promise<{ result: T; summary: ProfileSummary }> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
    const result = await work();
    const { profile } = await session.post("Profiler.stop");
    await writeFile(file, JSON.stringify(profile));
    return { result, summary: summarize(name, profile, file) };
  } finally {
    session.disconnect();
  }
}
