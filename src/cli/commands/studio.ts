/**
 * `popoto studio`: starts the local web page (src/studio/) and keeps it running until Ctrl-C
 * (SIGINT) or SIGTERM.
 */
import type { Redis } from "ioredis";
import { startStudio } from "../../studio/server.js";
import type { CliArgs } from "../args.js";
import { UsageError } from "../args.js";
import type { CommandContext } from "./context.js";

/** Serves the studio; resolves to exit code 0 once stopped by a signal. */
export async function studio(
  args: CliArgs,
  { models, redis }: CommandContext & { readonly redis: Redis },
  redisLabel: string,
): Promise<0> {
  const { host, port, write } = args.studio;
  const running = await startStudio({ models, redis, host, port, write, redisLabel }).catch(
    (error: unknown) => {
      const code = (error as { code?: unknown }).code;
      if (code === "EADDRINUSE")
        throw new UsageError(
          `port ${port} on ${host} is in use: pass --port <another>, or --port 0 for a free one.`,
        );
      if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
        throw new UsageError(`cannot listen on ${host}: pass an address of this machine with --host.`);
      throw error;
    },
  );
  process.stdout.write(
    `popoto studio: ${models.map((m) => m.modelName).join(", ")} on ${redisLabel}, ` +
      `${write ? "repairs enabled (--write)" : "read-only"}\n` +
      `Open ${running.url}\n` +
      `The token in the address is required on every request. Ctrl-C stops the studio.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await running.close();
  return 0;
}
