/**
 * The CLI's command line: `popoto <command> --models <module> [--url <url>] [--model <Name>]… [--json]`.
 */
import { parseArgs } from "node:util";

/** The CLI's commands. */
export const COMMANDS = [
  "check",
  "clean",
  "rebuild",
  "migrate",
  "repair",
  "inspect",
  "studio",
  "export",
  "import",
  "reshard",
] as const;

/** One of the CLI's commands. */
export type Command = (typeof COMMANDS)[number];

/** The text `--help` prints (and usage errors repeat). */
export const USAGE = `Usage: popoto <command> --models <module> [--url <redis-url> | --cluster <url>[,<url>]...]
                      [--model <Name>]... [--json]

Commands:
  check     compare every index with the hashes, report each difference (read-only)
  clean     remove stale index entries and correct wrong scores (adds nothing)
  rebuild   make every index match the hashes: remove stale entries, add missing ones
  migrate   build the indexes the models declare that Redis does not hold for every instance yet
            (a new SortedField, relationship, composite index…), drop those no longer declared,
            and record each model's schema fingerprint ($Schema:<Model>); resumable, in bounded
            steps, safe while the application writes
  repair    finish the deletes a crash interrupted (cascade/setNull steps; their $DeleteJournal keys)
  inspect   count instances, index keys and entries per structure kind, and memory used
  studio    serve a local web page to browse the models, follow relationships and check index
            health (read-only unless --write); prints its address, with a token, and runs until Ctrl-C
  export    write every instance as one JSON object per line to stdout (the format: docs/storage.md)
  import    read such lines from stdin and save each instance through the normal write path (every
            index entry is written); a bad line is reported with its number and not written
  reshard   popoto reshard <Model> --shards N: move a sharded model's instances to N buckets while
            the application runs (bucket by bucket, one mover at a time); stopped or killed, run
            it again with the same N to resume. Refuses a model another model's relationship
            targets, or one with a change feed

Options:
  --models <module>  JS module (TS under tsx) whose exported model classes, and the models its
                     import defines, are the ones to work on; resolved from the current directory
  --url <redis-url>  Redis to use (default: REDIS_URL, else redis://127.0.0.1:6379); rediss:// for
                     TLS; put an ACL user and password in it (redis://user:password@host:port/db),
                     or better in REDIS_URL, which other users of the machine cannot read in ps
  --tls-ca <file>    PEM file of the CA that signed the server's certificate (env POPOTO_TLS_CA)
  --tls-cert <file>  client certificate, for a server with tls-auth-clients (env POPOTO_TLS_CERT)
  --tls-key <file>   the client certificate's private key (env POPOTO_TLS_KEY)
  --tls-servername <name>  host name to check the server's certificate against, when it differs
                     from the URL's host (env POPOTO_TLS_SERVERNAME)
  --cluster <urls>   a Redis Cluster instead: one or more node URLs, comma-separated (or the
                     option repeated); every master is scanned (default: POPOTO_CLUSTER)
  --model <Name>     only this model (repeat for several)
  --json             print JSON instead of tables
  --port <n>         studio: port to listen on (default 5555; 0 picks a free one)
  --host <address>   studio: address to listen on (default 127.0.0.1, this machine only)
  --write            studio: allow the index repair buttons (clean, rebuild)
  --corrupt <action> clean/rebuild: report (default), quarantine ($Quarantine:<key>) or delete
                     rows that do not decode (and instance keys holding another Redis type)
  --max-steps <n>    migrate: stop each model's build after n batches (run again to resume)
  --shards <n>       reshard: the new bucket count (2 to 1024)
  --batch-size <n>   check/clean/rebuild/migrate/reshard: keys per SCAN, members per read, instances per pipeline
                     (default 1000); memory follows it, not the database's size
  --max-listed <n>   check/clean/rebuild: differences and damaged keys listed per model in --json
                     (default 1000); the counts are always exact
  -h, --help         print this help

Exit codes: 0 fine; 1 check found differences, corrupt rows, wrong-typed keys or misplaced hashes,
clean/rebuild left some in place (each named in the output), or repair found a delete that protect
now refuses; 2 usage error; 3 failure (Redis unreachable, authentication or TLS failed, models
module failed to import, ...).

Examples:
  npx popoto check --models ./dist/models.js
  npx popoto rebuild --models ./dist/models.js --url redis://localhost:6379/2 --model Book
  npx popoto migrate --models ./dist/models.js --model Book
  npx popoto repair --models ./dist/models.js --cluster redis://10.0.0.1:7000
  npx popoto check --models ./dist/models.js --cluster redis://10.0.0.1:7000,redis://10.0.0.2:7000
  node --import tsx ./node_modules/popoto/dist/cli/main.js inspect --models ./src/models.ts --json
  npx popoto studio --models ./dist/models.js --port 5555
  npx popoto export --models ./dist/models.js --model Book > books.jsonl
  npx popoto import --models ./dist/models.js --url redis://localhost:6379/3 < books.jsonl
  npx popoto reshard Event --shards 48 --models ./dist/models.js`;

/** A mistake in how the CLI was called: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** What the command line asks for. */
export interface CliArgs {
  readonly command: Command;
  readonly models: string;
  /** `--url`, else `REDIS_URL`, else redis://127.0.0.1:6379. */
  readonly url: string;
  /** `--cluster` node URLs (else `POPOTO_CLUSTER`); empty for a standalone server. */
  readonly cluster: readonly string[];
  /** Model names to limit to; empty for every model. */
  readonly only: readonly string[];
  readonly json: boolean;
  /** `--corrupt=report|quarantine|delete` (clean and rebuild): what to do with corrupt rows. */
  readonly corrupt: "report" | "quarantine" | "delete";
  /** check/clean/rebuild: `--batch-size` and `--max-listed` (undefined: the library's defaults). */
  readonly batchSize: number | undefined;
  readonly maxListed: number | undefined;
  /** migrate: `--max-steps` (undefined: no limit). */
  readonly maxSteps: number | undefined;
  /** reshard: the model to move and `--shards` (undefined for other commands). */
  readonly reshard: { readonly model: string; readonly shards: number } | undefined;
  /** studio: where to listen, and whether repairs are allowed. */
  readonly studio: { readonly host: string; readonly port: number; readonly write: boolean };
  /** TLS files and server name from --tls-* or POPOTO_TLS_*; empty when none is given. */
  readonly tls: TlsFiles;
}

/** The TLS settings the CLI takes (paths of PEM files). */
export interface TlsFiles {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly servername?: string | undefined;
}

const isCommand = (value: string): value is Command => (COMMANDS as readonly string[]).includes(value);

/** Where the CLI connects without `--url` and `REDIS_URL` (popoto's own default). */
export const DEFAULT_URL = "redis://127.0.0.1:6379";

const tlsFiles = (values: Record<string, unknown>, env: NodeJS.ProcessEnv): TlsFiles => {
  const pick = (option: string, variable: string): string | undefined => {
    const value = values[option];
    return typeof value === "string" && value !== "" ? value : env[variable] || undefined;
  };
  const tls = {
    ca: pick("tls-ca", "POPOTO_TLS_CA"),
    cert: pick("tls-cert", "POPOTO_TLS_CERT"),
    key: pick("tls-key", "POPOTO_TLS_KEY"),
    servername: pick("tls-servername", "POPOTO_TLS_SERVERNAME"),
  };
  if ((tls.cert === undefined) !== (tls.key === undefined))
    throw new UsageError(
      `--tls-cert and --tls-key go together: give both (or POPOTO_TLS_CERT and POPOTO_TLS_KEY).`,
    );
  return tls;
};

/**
 * Parses `argv` (without node and script); `"help"` for `--help`; throws UsageError on mistakes.
 * `env` supplies `REDIS_URL` and `POPOTO_TLS_*`.
 */
export function parseCliArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): CliArgs | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        models: { type: "string" },
        url: { type: "string" },
        cluster: { type: "string", multiple: true },
        model: { type: "string", multiple: true },
        json: { type: "boolean" },
        "tls-ca": { type: "string" },
        "tls-cert": { type: "string" },
        "tls-key": { type: "string" },
        "tls-servername": { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        write: { type: "boolean" },
        corrupt: { type: "string" },
        "batch-size": { type: "string" },
        "max-listed": { type: "string" },
        "max-steps": { type: "string" },
        shards: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals[0] === "help") return "help";
  const [command, ...extra] = positionals;
  if (command === undefined) throw new UsageError(`No command given: use one of ${COMMANDS.join(", ")}.`);
  if (!isCommand(command))
    throw new UsageError(`Unknown command "${command}": use one of ${COMMANDS.join(", ")}.`);
  const target = command === "reshard" ? extra.shift() : undefined;
  if (extra.length > 0) throw new UsageError(`Unexpected argument "${extra[0] as string}".`);
  if (command === "reshard" && (target === undefined || values.shards === undefined))
    throw new UsageError(
      `popoto reshard needs a model and a count: popoto reshard <Model> --shards N --models …`,
    );
  if (command !== "reshard" && values.shards !== undefined)
    throw new UsageError(`--shards is an option of popoto reshard, not of popoto ${command}.`);
  if (values.shards !== undefined && !/^\d+$/.test(values.shards))
    throw new UsageError(`--shards must be a whole number from 2 to 1024, received "${values.shards}".`);
  if (values.models === undefined || values.models === "")
    throw new UsageError(
      `Missing --models: name the module that exports your model classes, e.g. --models ./dist/models.js.`,
    );
  if (values.url !== undefined && values.cluster !== undefined)
    throw new UsageError(`Give either --url (one server) or --cluster (a cluster's nodes), not both.`);
  const cluster = (values.cluster ?? (values.url === undefined ? [env["POPOTO_CLUSTER"] ?? ""] : []))
    .flatMap((entry) => entry.split(","))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (values.cluster !== undefined && cluster.length === 0)
    throw new UsageError(`--cluster needs at least one node URL, e.g. --cluster redis://127.0.0.1:7000.`);
  const studioOnly = (["port", "host", "write"] as const).find((name) => values[name] !== undefined);
  if (command !== "studio" && studioOnly !== undefined)
    throw new UsageError(`--${studioOnly} is an option of popoto studio, not of popoto ${command}.`);
  if ((command === "studio" || command === "export" || command === "import") && values.json === true)
    throw new UsageError(`--json is not an option of popoto ${command}.`);
  const port = values.port === undefined ? 5555 : Number(values.port);
  if (!/^\d+$/.test(values.port ?? "0") || port > 65535)
    throw new UsageError(
      `--port ${values.port ?? ""}: give a port number from 0 to 65535 (0 picks a free one).`,
    );
  if (values.host === "") throw new UsageError(`--host needs an address, e.g. --host 127.0.0.1.`);
  const corrupt = values.corrupt ?? "report";
  if (corrupt !== "report" && corrupt !== "quarantine" && corrupt !== "delete")
    throw new UsageError(`--corrupt must be report, quarantine or delete, received "${corrupt}".`);
  const positive = (name: "batch-size" | "max-listed" | "max-steps", min: number): number | undefined => {
    const value = values[name];
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < min)
      throw new UsageError(`--${name} must be a whole number of at least ${min}, received "${value}".`);
    if (name === "max-steps" && command !== "migrate")
      throw new UsageError(`--max-steps is an option of migrate, not of popoto ${command}.`);
    if (name === "batch-size" && (command === "migrate" || command === "reshard")) return Number(value);
    if (command !== "check" && command !== "clean" && command !== "rebuild" && name !== "max-steps")
      throw new UsageError(`--${name} is an option of check, clean and rebuild, not of popoto ${command}.`);
    return Number(value);
  };
  return {
    command,
    corrupt,
    batchSize: positive("batch-size", 1),
    maxListed: positive("max-listed", 0),
    maxSteps: positive("max-steps", 1),
    reshard:
      command === "reshard" && target !== undefined
        ? { model: target, shards: Number(values.shards) }
        : undefined,
    cluster,
    models: values.models,
    url: values.url ?? env["REDIS_URL"] ?? DEFAULT_URL,
    only: values.model ?? [],
    json: values.json === true,
    tls: tlsFiles(values, env),
    studio: { host: values.host ?? "127.0.0.1", port, write: values.write === true },
  };
}
