#!/usr/bin/env node
/**
 * The operator CLI: `popoto check|clean|rebuild|migrate|repair|inspect|studio|export|import|reshard --models <module> [--url …] [--model Name]… [--json]`.
 *
 * Which popoto the CLI connects. The models module imports popoto itself, and a model's
 * `checkIndexes()` sends its commands through the connection of the popoto module instance that
 * defined it. Node keeps one instance per resolved file, so the CLI must reach popoto through the
 * very file the models resolve to. It imports `connect`/`disconnect` relatively, from "../index.js",
 * never from the package name:
 * - installed (`npx popoto`, i.e. node_modules/popoto/dist/cli/main.js), "../index.js" is
 *   node_modules/popoto/dist/index.js, the file the models' `import … from "popoto"` resolves to;
 * - from this repository under tsx (`node --import tsx src/cli/main.ts`), it is src/index.ts, the
 *   file models importing "../src/index.js" (the test fixtures, examples) resolve to.
 * Importing "popoto" by name here would instead load the package's dist build even when running
 * from src, i.e. a second module instance with its own, never-connected connection. When the
 * models still come from another copy (dist vs src, or two installed copies), `loadModels()`
 * detects it (their classes are not in this copy's registry) and says how to run the right CLI.
 */
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import type { ConnectionOptions } from "node:tls";
import { connect, ConnectionError, disconnect, redactSecrets } from "../index.js";
import { redactUrl } from "../connection/redact.js";
import { parseCliArgs, USAGE, UsageError } from "./args.js";
import type { CliArgs, TlsFiles } from "./args.js";
import { check } from "./commands/check.js";
import type { CommandContext, CommandResult } from "./commands/context.js";
import { finishDeletes } from "./commands/finish-deletes.js";
import { inspect } from "./commands/inspect.js";
import { migrateCommand } from "./commands/migrate.js";
import { repair } from "./commands/repair.js";
import { reshardCommand } from "./commands/reshard.js";
import { loadModels, selectModels } from "./load-models.js";
import { createProgress } from "./progress.js";

/** Exit code of a usage error. */
const USAGE_EXIT = 2;
/** Exit code when the command could not run (Redis unreachable, the models module threw, …). */
const FAILURE_EXIT = 3;

/** The ioredis `tls` option from the CLI's --tls-* files; undefined when none is given. */
const tlsOptions = (files: TlsFiles): ConnectionOptions | undefined => {
  if (Object.values(files).every((value) => value === undefined)) return undefined;
  const read = (what: string, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new UsageError(`cannot read the ${what} file ${path}: ${(error as Error).message}`);
    }
  };
  const tls: ConnectionOptions = {};
  const ca = read("--tls-ca", files.ca);
  const cert = read("--tls-cert", files.cert);
  const key = read("--tls-key", files.key);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (files.servername !== undefined) tls.servername = files.servername;
  return tls;
};

const runCommand = (args: CliArgs, context: CommandContext): Promise<CommandResult> => {
  switch (args.command) {
    case "check":
      return check(context, { batchSize: args.batchSize, maxListed: args.maxListed });
    case "clean":
    case "rebuild":
      return repair(args.command, context, {
        corrupt: args.corrupt,
        batchSize: args.batchSize,
        maxListed: args.maxListed,
      });
    case "migrate":
      return migrateCommand(context, { batchSize: args.batchSize, maxSteps: args.maxSteps });
    case "repair":
      return finishDeletes(context);
    case "inspect":
      return inspect(context);
    case "reshard":
      return reshardCommand(context, { shards: args.reshard?.shards ?? 0, batchSize: args.batchSize });
    case "studio":
    case "export":
    case "import":
      throw new Error(`popoto CLI: ${args.command} does not run as a one-shot command.`);
  }
};

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs | "help";
  try {
    args = parseCliArgs(argv);
  } catch (error) {
    const synopsis = USAGE.split("\n")[0] as string;
    process.stderr.write(`popoto: ${(error as Error).message}\n${synopsis}\nRun popoto --help for more.\n`);
    return USAGE_EXIT;
  }
  if (args === "help") {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const progress = createProgress(process.stderr);
  try {
    // Import first, connect second: a models module that connects at import is overridden by --url.
    const all = await loadModels(args.models, process.cwd(), []);
    const models = selectModels(all, args.reshard ? [args.reshard.model] : args.only, args.models);
    const tls = tlsOptions(args.tls);
    const passed = tls ? { redisOptions: { tls } } : {};
    const client = await connect(
      args.cluster.length > 0
        ? { cluster: args.cluster, maxReconnectAttempts: 3, ...passed }
        : { url: args.url, maxReconnectAttempts: 3, ...passed },
    );
    if (args.command === "studio") {
      if (!(client instanceof Redis))
        throw new UsageError("popoto studio reads one server (--url); it does not run on a cluster yet.");
      // Runs until Ctrl-C and prints its own address; imported here so other commands do not load it.
      const { studio } = await import("./commands/studio.js");
      return await studio(args, { models, progress, redis: client }, redactUrl(args.url));
    }
    if (args.command === "export" || args.command === "import") {
      const { exportCommand, importCommand } = await import("./commands/transfer.js");
      const streams = {
        models,
        progress,
        stdin: process.stdin,
        stdout: process.stdout,
        stderr: process.stderr,
      };
      return args.command === "export" ? await exportCommand(streams) : await importCommand(streams, all);
    }
    const result = await runCommand(args, { models, progress, redis: client });
    process.stdout.write(`${args.json ? JSON.stringify(result.json, null, 2) : result.text}\n`);
    return result.exitCode;
  } catch (error) {
    progress.clear();
    // Messages may quote the URL: never print its password.
    const message = redactSecrets(error instanceof Error ? error.message : String(error));
    if (error instanceof UsageError) {
      process.stderr.write(`popoto ${args.command}: ${message}\nRun popoto --help for usage.\n`);
      return USAGE_EXIT;
    }
    if (error instanceof ConnectionError) {
      // Named already (nothing listening, WRONGPASS, TLS, …) with its fix and the redacted URL.
      process.stderr.write(
        `popoto ${args.command}: [${error.code}${error.reason ? ` ${error.reason}` : ""}] ${message} ` +
          `(CLI: --url or REDIS_URL, --cluster for a cluster; TLS: --tls-ca, --tls-cert, --tls-key.)\n`,
      );
    } else process.stderr.write(`popoto ${args.command}: ${message}\n`);
    return FAILURE_EXIT;
  } finally {
    await disconnect();
  }
}

const code = await main(process.argv.slice(2));
// Exit once stdout is flushed, without waiting for handles a models module may have left open.
process.stdout.write("", () => process.exit(code));
