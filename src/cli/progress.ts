/**
 * A one-line progress display on stderr (redrawn with `\r`), only when stderr is a terminal.
 */
import type { MaintenanceProgress } from "../maintenance/indexes.js";

/** The part of a stream the progress line writes to. */
export interface ProgressStream {
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
  write(text: string): boolean;
}

/** Reports the progress of one command, model by model. */
export interface Progress {
  /**
   * The `onProgress` callback for one model's scan; `expectedInstances` (the class set's size)
   * turns the hash phase's count into a bar.
   */
  model(name: string, expectedInstances?: number): MaintenanceProgress;
  /** Erases the line, before results are printed. */
  clear(): void;
}

const WIDTH = 20;
/** Redraws at most this often (ms); a scan reports every batch. */
const INTERVAL = 80;

const bar = (done: number, total: number): string => {
  const filled = Math.min(WIDTH, Math.round((done / Math.max(total, 1)) * WIDTH));
  return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${done}/${total}`;
};

/**
 * A Progress that draws `Book  hashes [#####---------------] 250/1000` on a terminal; on anything
 * else (a pipe, a file, a CI log) it draws nothing. `now` is injectable for tests.
 */
export function createProgress(stream: ProgressStream, now: () => number = Date.now): Progress {
  if (stream.isTTY !== true) return { model: () => () => undefined, clear: () => undefined };
  let shown = false;
  let last = -Infinity;
  const draw = (text: string): void => {
    const columns = stream.columns !== undefined && stream.columns >= 20 ? stream.columns : 80;
    const max = columns - 1;
    stream.write(`\r${text.length > max ? text.slice(0, max) : text}\x1b[K`);
    shown = true;
  };
  return {
    model(name, expectedInstances) {
      draw(`${name}  reading`);
      last = now();
      return (phase, done, total) => {
        const t = now();
        if (t - last < INTERVAL) return;
        last = t;
        // The hash count can pass the class set's size (stale entries are not counted, extra hashes are).
        const known = phase === "hashes" && expectedInstances !== undefined && expectedInstances >= done;
        const count = known ? bar(done, expectedInstances) : `${done}${total > done ? `/${total}` : ""}`;
        draw(`${name}  ${phase} read: ${count}`);
      };
    },
    clear() {
      if (shown) stream.write("\r\x1b[K");
      shown = false;
    },
  };
}
