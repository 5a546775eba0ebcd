/**
 * Python Popoto 0.8.3 itself, run as a child process for the interop suite (test/interop). Its
 * source ships beside the repository (`../shared/popoto-py-0.8.3` in CI; found here by walking up
 * from the repository root, or named by POPOTO_PY_SRC). It needs Debian's python3-redis,
 * python3-msgpack, python3-pandas and python3-msgpack-numpy, which belong to /usr/bin/python3
 * (a `python3` on PATH may be a pyenv build without them); POPOTO_PYTHON names another interpreter.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { TEST_URL } from "./redis.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DRIVER_DIR = join(ROOT, "test/interop/python");
const FOLDER = "popoto-py-0.8.3";

/** The Popoto 0.8.3 source folder: POPOTO_PY_SRC, else `shared/popoto-py-0.8.3` beside the repository or an ancestor. */
export function findPopotoSource(): string | undefined {
  const given = process.env["POPOTO_PY_SRC"];
  if (given) return existsSync(join(given, "src/popoto")) ? resolve(given) : undefined;
  for (let dir = resolve(ROOT); ; dir = dirname(dir)) {
    const candidate = join(dirname(dir), "shared", FOLDER);
    if (existsSync(join(candidate, "src/popoto"))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

export type Availability =
  | { readonly ok: true; readonly python: string; readonly source: string }
  | { readonly ok: false; readonly reason: string };

/** Whether the suite can run here, and if not, why (printed when it skips). */
export function pythonAvailability(): Availability {
  const source = findPopotoSource();
  if (!source)
    return {
      ok: false,
      reason: `Python Popoto source not found (looked for ../shared/${FOLDER} from ${ROOT} upwards; set POPOTO_PY_SRC)`,
    };
  const python = process.env["POPOTO_PYTHON"] ?? "/usr/bin/python3";
  const probe = spawnSync(python, ["-c", "import redis, msgpack, pandas, msgpack_numpy"], {
    encoding: "utf8",
  });
  if (probe.error || probe.status !== 0)
    return {
      ok: false,
      reason:
        `${python} cannot import redis, msgpack, pandas and msgpack_numpy ` +
        `(apt-get install python3-redis python3-msgpack python3-pandas python3-msgpack-numpy): ` +
        (probe.error?.message ?? probe.stderr.trim().split("\n").pop() ?? ""),
    };
  return { ok: true, python, source };
}

/** A JSON value as the driver sends it: Python types that JSON lacks come tagged (see driver.py). */
export type PyValue = unknown;

/** A running Python Popoto, on the test database. */
export class PythonPopoto {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, { resolve: (v: PyValue) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private stderr = "";
  readonly ready: Promise<void>;

  constructor(availability: Extract<Availability, { ok: true }>) {
    if (/\/0$/.test(TEST_URL)) throw new Error("Refusing to run Python Popoto on Redis database 0.");
    this.child = spawn(availability.python, [join(DRIVER_DIR, "driver.py")], {
      cwd: DRIVER_DIR,
      env: {
        ...process.env,
        REDIS_URL: TEST_URL,
        PYTHONPATH: [join(availability.source, "src"), DRIVER_DIR].join(":"),
        // 0.8.3 scores naive datetimes in local time: pin it to UTC, as popoto reads them.
        TZ: "UTC",
        // Never write __pycache__ into the shared source folder.
        PYTHONDONTWRITEBYTECODE: "1",
      },
    });
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    let markReady: () => void = () => undefined;
    let failReady: (e: Error) => void = () => undefined;
    this.ready = new Promise((res, rej) => {
      markReady = res;
      failReady = rej;
    });
    this.child.on("exit", (code) => {
      const error = new Error(`Python Popoto exited (${code}): ${this.stderr}`);
      failReady(error);
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    });
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      const reply = JSON.parse(line) as { id?: number; ready?: boolean; ok?: PyValue; error?: string };
      if (reply.ready) return markReady();
      const waiter = reply.id === undefined ? undefined : this.pending.get(reply.id);
      if (!waiter || reply.id === undefined) return;
      this.pending.delete(reply.id);
      if (reply.error !== undefined) waiter.reject(new Error(`Python Popoto: ${reply.error}`));
      else waiter.resolve(reply.ok);
    });
  }

  /** Runs Python code: an expression's value, or the `result` name set by statements. */
  async run(code: string): Promise<PyValue> {
    await this.ready;
    const id = this.nextId++;
    return new Promise((res, rej) => {
      this.pending.set(id, { resolve: res, reject: rej });
      this.child.stdin.write(`${JSON.stringify({ id, code })}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((res) => this.child.once("exit", res));
    this.child.stdin.end();
    await exited;
  }
}
