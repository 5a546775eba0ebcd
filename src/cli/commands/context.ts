/**
 * What every command receives and returns.
 */
import type { RedisClient } from "../../connection/connection.js";
import type { CliModel } from "../load-models.js";
import type { Progress } from "../progress.js";

/** The models to work on, the progress display, and the connected client (the one popoto uses). */
export interface CommandContext {
  readonly models: readonly CliModel[];
  readonly progress: Progress;
  readonly redis: RedisClient;
}

/** A command's outcome: its exit code, and its output as text (tables) and as JSON (`--json`). */
export interface CommandResult {
  readonly exitCode: 0 | 1;
  readonly text: string;
  readonly json: object;
}
