/**
 * MONITOR over a plain socket, for tests that count the commands popoto sends. ioredis's own
 * `monitor()` can throw "Command queue state error" from its socket handler when monitor lines
 * arrive in the same read as MONITOR's `+OK` (seen on a loaded machine with other clients busy),
 * so this speaks the little RESP it needs itself: after `+OK`, each line is a simple string
 * `+<time> [<db> <client address | lua>] "COMMAND" "arg" …`, binary escaped by Redis.
 */
import { connect } from "node:net";

export interface MonitorLine {
  readonly db: number;
  /** The client's address, or "lua" for a command a script ran. */
  readonly source: string;
  readonly args: string[];
}

export interface Monitor {
  close(): void;
}

const LINE = /^\+\S+ \[(\d+) ([^\]]+)\] (.*)$/;
const QUOTED = /"((?:[^"\\]|\\.)*)"/g;

const unescape = (text: string): string =>
  text.replace(/\\(x[0-9a-f]{2}|.)/g, (_m, e: string) =>
    e.startsWith("x") && e.length === 3
      ? String.fromCharCode(parseInt(e.slice(1), 16))
      : (({ n: "\n", r: "\r", t: "\t", a: "\x07", b: "\b" } as Record<string, string>)[e] ?? e),
  );

/** Starts MONITOR on host:port; resolves once Redis confirmed it, then calls `onLine` per command. */
export function startMonitor(
  options: {
    host?: string | undefined;
    port?: number | undefined;
    username?: string | undefined;
    password?: string | undefined;
  },
  onLine: (line: MonitorLine) => void,
): Promise<Monitor> {
  return new Promise((resolve, reject) => {
    const socket = connect(options.port ?? 6379, options.host ?? "127.0.0.1");
    let pending = "";
    let replies = options.password ? 2 : 1; // +OK of AUTH, then of MONITOR
    socket.setEncoding("latin1");
    socket.once("error", reject);
    socket.on("connect", () => {
      if (options.password) {
        const auth = options.username
          ? ["AUTH", options.username, options.password]
          : ["AUTH", options.password];
        socket.write(
          `*${auth.length}\r\n${auth.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`,
        );
      }
      socket.write("*1\r\n$7\r\nMONITOR\r\n");
    });
    socket.on("data", (chunk: string) => {
      pending += chunk;
      let end: number;
      while ((end = pending.indexOf("\r\n")) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (replies > 0) {
          if (line !== "+OK") {
            socket.destroy();
            reject(new Error(`MONITOR was refused: ${line}`));
            return;
          }
          if (--replies === 0) resolve({ close: () => socket.destroy() });
          continue;
        }
        const match = LINE.exec(line);
        if (!match) continue;
        const args = [...(match[3] ?? "").matchAll(QUOTED)].map((m) => unescape(m[1] ?? ""));
        onLine({ db: Number(match[1]), source: match[2] ?? "", args });
      }
    });
  });
}
