/**
 * Seeing what popoto sends: every command that goes through popoto's client is reported once, when
 * its reply arrives, with its duration (`connect({ onCommand })`, `POPOTO_DEBUG=1`), and counted
 * as a round trip of the traced operation it belongs to (observe/tracing.ts). The client's own
 * `sendCommand` is wrapped, so pipelines (each command of one, `pipeline: true`), scripts and the
 * cluster's routing are all seen as ioredis sends them; nothing is replaced or sent differently.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { performance } from "node:perf_hooks";
import { isCredentialCommand, redactSecrets, sanitizeError } from "../connection/redact.js";
import { scripts } from "../scripts/scripts.generated.js";

/** One command popoto sent, reported when its reply (or error) arrived. */
export interface CommandEvent {
  /** The command, upper case: `EVALSHA`, `HGETALL`. */
  readonly name: string;
  /**
   * Its arguments as printable text: bytes that are not UTF-8 text as `\xNN`, each cut to 200
   * characters, every argument of AUTH, HELLO, ACL, CONFIG and MIGRATE as `***`, and passwords
   * popoto knows replaced by `***` anywhere.
   */
  readonly args: readonly string[];
  /** For EVALSHA / EVAL of one of popoto's scripts, its name (`write`, `query`, `commute`, …). */
  readonly script: string | undefined;
  /** Milliseconds from sending to the reply (queueing in the client included). */
  readonly durationMs: number;
  /** True when the command went in a pipeline (several commands, one round trip). */
  readonly pipeline: boolean;
  /** The error the command failed with (redacted), if it failed. */
  readonly error: Error | undefined;
}

/** Receives every command popoto sends; it must not throw (an error thrown is ignored). */
export type CommandListener = (event: CommandEvent) => void;

/** The round trips of the traced operation running in this async context (observe/tracing.ts). */
export interface RoundTripCounter {
  roundTrips: number;
  readonly pipelines: WeakSet<object>;
}
export const roundTrips = new AsyncLocalStorage<RoundTripCounter>();

const MAX_ARG = 200;
const SCRIPT_NAMES = new Map<string, string>(Object.values(scripts).map((s) => [s.sha, s.name]));

/** An argument as text: UTF-8 when it is, else printable ASCII with `\xNN` for other bytes. */
function printable(arg: unknown): string {
  let text: string;
  if (Buffer.isBuffer(arg)) {
    const utf8 = arg.toString("utf8");
    text = Buffer.from(utf8, "utf8").equals(arg)
      ? utf8
      : [...arg]
          .map((b) =>
            b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`,
          )
          .join("");
  } else text = String(arg);
  // eslint-disable-next-line no-control-regex
  text = text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return text.length > MAX_ARG ? `${text.slice(0, MAX_ARG)}…(${text.length} characters)` : text;
}

/** The event's name, args and script, redacted. */
export function describeCommand(
  name: string,
  args: readonly unknown[],
): Pick<CommandEvent, "name" | "args" | "script"> {
  const upper = name.toUpperCase();
  const shown = isCredentialCommand(name)
    ? args.map(() => "***")
    : args.map((a) => redactSecrets(printable(a)));
  const script =
    upper === "EVALSHA"
      ? SCRIPT_NAMES.get(String(args[0]))
      : upper === "EVAL"
        ? Object.values(scripts).find((s) => s.source === String(args[0]))?.name
        : undefined;
  // An EVAL's first argument is a whole script: show its name instead.
  if (upper === "EVAL" && script !== undefined)
    return { name: upper, args: [`<${script}.lua>`, ...shown.slice(1)], script };
  return { name: upper, args: shown, script };
}

let listener: CommandListener | undefined;
let debugLog = false;

/** Sets the `connect({ onCommand })` listener and the `POPOTO_DEBUG` switch for the next connection. */
export function setCommandListener(onCommand: CommandListener | undefined, debug: boolean): void {
  listener = onCommand;
  debugLog = debug;
}

/** True when something listens to commands: then the client is watched. */
export const commandsWatched = (tracing: boolean): boolean => listener !== undefined || debugLog || tracing;

/** `POPOTO_DEBUG` is on: any value but empty, `0` or `false`. */
export const debugFromEnv = (): boolean => {
  const value = process.env["POPOTO_DEBUG"];
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
};

/** One line per command on stderr, as `POPOTO_DEBUG=1` prints it. */
export const debugLine = (event: CommandEvent): string =>
  `popoto ${event.durationMs.toFixed(2)} ms ${event.pipeline ? "(pipeline) " : ""}${event.name}` +
  `${event.script === undefined ? "" : ` [${event.script}.lua]`} ${event.args.join(" ")}` +
  `${event.error === undefined ? "" : ` -> ${event.error.message}`}\n`;

interface DriverCommand {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly promise: Promise<unknown>;
}
type Sender = (this: unknown, command: DriverCommand, stream?: unknown, ...rest: unknown[]) => unknown;

function report(command: DriverCommand, pipeline: boolean): void {
  if (listener === undefined && !debugLog) return;
  const started = performance.now();
  const emit = (error: unknown): void => {
    const event: CommandEvent = {
      ...describeCommand(command.name, command.args),
      durationMs: performance.now() - started,
      pipeline,
      error: error === undefined ? undefined : sanitizeError(error),
    };
    if (debugLog) process.stderr.write(debugLine(event));
    try {
      listener?.(event);
    } catch {
      // A listener's failure must not change the command's outcome.
    }
  };
  command.promise.then(
    () => emit(undefined),
    (error: unknown) => emit(error ?? new Error("command failed")),
  );
}

/**
 * Wraps the client's `sendCommand` so each command is reported once (ioredis may send one again
 * after a reconnection or a cluster redirection: it is still one command). Returns the undo.
 */
export function watchCommands(client: object): () => void {
  const target = client as { sendCommand: Sender };
  const own = Object.prototype.hasOwnProperty.call(client, "sendCommand");
  const original = target.sendCommand;
  const seen = new WeakSet<object>();
  const wrapped: Sender = function (this: unknown, command, stream, ...rest) {
    // Watched only for tracing and nobody traces this operation: the command goes straight on.
    const counter = roundTrips.getStore();
    if (counter === undefined && listener === undefined && !debugLog)
      return original.call(this, command, stream, ...rest);
    if (typeof command === "object" && command !== null && !seen.has(command)) {
      seen.add(command);
      // A pipeline hands its commands over with its own stream object; count that object once.
      const pipeline = typeof stream === "object" && stream !== null && "isPipeline" in stream;
      if (counter !== undefined && !(pipeline && counter.pipelines.has(stream as object))) {
        if (pipeline) counter.pipelines.add(stream as object);
        counter.roundTrips++;
      }
      report(command, pipeline);
    }
    return original.call(this, command, stream, ...rest);
  };
  target.sendCommand = wrapped;
  return () => {
    if (target.sendCommand !== wrapped) return; // wrapped again since (a test's counter): leave it
    if (own) target.sendCommand = original;
    else delete (target as { sendCommand?: Sender }).sendCommand;
  };
}
