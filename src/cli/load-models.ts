/**
 * Finds the models the CLI works on: the model classes a user module exports, and every model
 * its import defines (registered by `Model()`), optionally limited to some names.
 */
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { IndexReport, MaintenanceOptions, RepairOptions, RepairResult } from "../maintenance/indexes.js";
import type { ModelMeta } from "../model/meta.js";
import type { ResumeReport } from "../model/delete-resume.js";
import { allModels } from "../model/registry.js";
import { UsageError } from "./args.js";

/** What the CLI uses of a model class. */
export interface CliModel {
  readonly modelName: string;
  readonly meta: ModelMeta;
  checkIndexes(options?: MaintenanceOptions): Promise<IndexReport>;
  cleanIndexes(options?: RepairOptions): Promise<RepairResult>;
  rebuildIndexes(options?: RepairOptions): Promise<RepairResult>;
  resumeDeletes(): Promise<ResumeReport>;
}

/** Whether a value is a popoto model class: a function with a `meta` object and a `modelName`. */
export function isModelClass(value: unknown): value is CliModel {
  if (typeof value !== "function") return false;
  const candidate = value as unknown as Partial<Record<keyof CliModel, unknown>>;
  const meta = candidate.meta;
  return (
    typeof candidate.modelName === "string" &&
    typeof meta === "object" &&
    meta !== null &&
    "name" in meta &&
    typeof candidate.checkIndexes === "function" &&
    typeof candidate.cleanIndexes === "function" &&
    typeof candidate.rebuildIndexes === "function"
  );
}

const registeredModels = (): CliModel[] => allModels().filter(isModelClass);

/** Imports the module: a missing file or one Node cannot load (.ts without tsx) is a usage error; a module that throws is not. */
async function importModule(path: string, cwd: string): Promise<Record<string, unknown>> {
  const file = resolve(cwd, path);
  const found = await stat(file).catch(() => undefined);
  if (!found?.isFile())
    throw new UsageError(`--models ${path}: no such file (looked for ${file}). Build your models first?`);
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    if ((error as { code?: unknown }).code === "ERR_UNKNOWN_FILE_EXTENSION")
      throw new UsageError(
        `--models ${path}: Node cannot import this file type by itself. For a TypeScript module, ` +
          `run the CLI under tsx: node --import tsx <popoto>/dist/cli/main.js …`,
      );
    throw new Error(`Could not import the models module ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Imports `path` (relative to `cwd`) and returns its models in definition order: the exported
 * model classes plus the models its import registered; `only` limits them by name. Throws a
 * UsageError when there are none, when a name is unknown, or when the module's classes come from
 * another copy of popoto than the CLI's (they would use a connection the CLI never opens).
 */
export async function loadModels(path: string, cwd: string, only: readonly string[]): Promise<CliModel[]> {
  const before = new Set(registeredModels().map((model) => model.meta));
  const exports = await importModule(path, cwd);
  const registered = registeredModels();
  const ours = new Set(registered.map((model) => model.meta));

  const exported = Object.values(exports).filter(isModelClass);
  const foreign = exported.filter((model) => !ours.has(model.meta));
  if (foreign.length > 0)
    throw new UsageError(
      `${path} exports ${foreign.map((m) => m.modelName).join(", ")} from another copy of popoto than ` +
        `this CLI's (${new URL("../index.js", import.meta.url).pathname}). Run the CLI of the popoto ` +
        `package your models import (npx popoto in that project), or, for models that import popoto's ` +
        `sources, run src/cli/main.ts under tsx.`,
    );

  // Exported models, and the ones the import defined without exporting them (e.g. imported by it).
  const wanted = new Set([...ours].filter((meta) => !before.has(meta)));
  for (const model of exported) wanted.add(model.meta);
  const models = registered.filter((model) => wanted.has(model.meta));
  if (models.length === 0)
    throw new UsageError(
      `${path} defines no popoto models: export your model classes (class Book extends Model("Book", …) {}).`,
    );

  return selectModels(models, only, path);
}

/** The models named in `only` (all when empty); a UsageError names an unknown one. */
export function selectModels(models: readonly CliModel[], only: readonly string[], path: string): CliModel[] {
  if (only.length === 0) return [...models];
  const names = models.map((model) => model.modelName);
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length > 0)
    throw new UsageError(
      `Unknown model ${unknown.map((n) => `"${n}"`).join(", ")}: ${path} has ${names.join(", ")}.`,
    );
  return models.filter((model) => only.includes(model.modelName));
}
