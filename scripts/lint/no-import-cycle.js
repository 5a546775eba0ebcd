// @ts-check
/**
 * ESLint rule `local/no-import-cycle`: a module may not reach itself through its relative imports.
 * Unlike eslint-plugin-import-x's no-cycle it counts `import type` too: a type-only cycle still
 * means a type lives in the wrong module (the type's owner should be imported by both sides).
 * Imports are read with TypeScript's preprocessor, so comments and strings never count.
 */
import { readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import ts from "typescript";

/** @type {Map<string, { mtime: number; imports: string[] }>} */
const cache = new Map();

/** @param {string} from @param {string} specifier */
const resolveImport = (from, specifier) => {
  if (!specifier.startsWith(".")) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, ".ts"), base, `${base}.ts`, `${base}/index.ts`]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
};

/** @param {string} file @returns {string[]} */
const importsOf = (file) => {
  let mtime;
  try {
    mtime = statSync(file).mtimeMs;
  } catch {
    return [];
  }
  const cached = cache.get(file);
  if (cached && cached.mtime === mtime) return cached.imports;
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const imports = info.importedFiles
    .map((f) => resolveImport(file, f.fileName))
    .filter((f) => f !== undefined && f.endsWith(".ts"));
  cache.set(file, { mtime, imports: /** @type {string[]} */ (imports) });
  return /** @type {string[]} */ (imports);
};

/** The shortest import route from `start` back to itself, or undefined. @param {string} start */
const cycleFrom = (start) => {
  /** @type {Map<string, string | undefined>} */
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = /** @type {string} */ (queue.shift());
    for (const next of importsOf(file)) {
      if (next === start) {
        const route = [file];
        for (let at = previous.get(file); at !== undefined; at = previous.get(at)) route.unshift(at);
        return route;
      }
      if (previous.has(next)) continue;
      previous.set(next, file);
      queue.push(next);
    }
  }
  return undefined;
};

/** @type {import("eslint").Rule.RuleModule} */
export const noImportCycle = {
  meta: {
    type: "problem",
    docs: { description: "Disallow import cycles between modules, type-only imports included." },
    schema: [],
    messages: { cycle: "Import cycle: {{route}}. Move the shared declaration to the module that owns it." },
  },
  create(context) {
    const file = context.physicalFilename;
    if (!file.endsWith(".ts")) return {};
    return {
      Program(node) {
        const route = cycleFrom(file);
        if (!route) return;
        const names = [...route, file].map((f) => relative(context.cwd, f));
        context.report({ node, messageId: "cycle", data: { route: names.join(" → ") } });
      },
    };
  },
};
