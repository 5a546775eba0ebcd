/**
 * Benchmark settings from the command line: `npm run bench -- --books 10000 --authors 100`.
 */
export interface BenchConfig {
  /** Books created (workload 2) and deleted (workload 10). */
  readonly books: number;
  /** Authors created (workload 1); book i is by author i % authors. */
  readonly authors: number;
  /** Operations of the read workloads (get, count); filters run ops / 2, include ops / 20. */
  readonly ops: number;
  /** Passes per subject and mode; each workload reports its median round. */
  readonly rounds: number;
  /** Operations in flight in concurrent mode. */
  readonly concurrency: number;
  /** Instances loaded by the memory measurement (0 skips it). */
  readonly memoryInstances: number;
  /** Redis URL without a database; the benchmark always uses database `db`. */
  readonly redisUrl: string;
  readonly db: number;
  /** Refresh the generated parts of docs/benchmarks.md. */
  readonly docs: boolean;
  /** Workload ids to CPU-profile for popoto (written to bench/results/profile-<id>.cpuprofile.json). */
  readonly profile: readonly string[];
  /** Run only these workload ids (default all). */
  readonly only: readonly string[];
}

const HELP = `npm run bench -- [options]
  --books N          books created and deleted (default 10000)
  --authors N        authors (default 100)
  --ops N            operations of the read workloads (default 2000)
  --concurrency N    operations in flight in concurrent mode (default 64)
  --rounds N         rounds of every pass; the median round is reported (default 3)
  --memory N         instances loaded by the heap measurement, 0 to skip (default 100000)
  --db N             Redis database to use; it is flushed (default 8)
  --docs             refresh the generated tables of docs/benchmarks.md
  --profile ID,...   CPU-profile popoto on these workloads (e.g. 4,8)
  --only ID,...      run only these workloads (1 and 2 always run: they create the data)`;

const positive = (name: string, text: string | undefined, min: number): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} takes a whole number >= ${min}`);
  return value;
};

const list = (text: string | undefined): string[] =>
  (text ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

export function parseConfig(argv: readonly string[]): BenchConfig {
  const config = {
    books: 10_000,
    authors: 100,
    ops: 2000,
    concurrency: 64,
    rounds: 3,
    memoryInstances: 100_000,
    redisUrl: (process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379").replace(/\/\d*$/, ""),
    db: 8,
    docs: false,
    profile: [] as string[],
    only: [] as string[],
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const next = (): string | undefined => argv[++i];
    switch (flag) {
      case "--books":
        config.books = positive(flag, next(), 10);
        break;
      case "--authors":
        config.authors = positive(flag, next(), 2);
        break;
      case "--ops":
        config.ops = positive(flag, next(), 20);
        break;
      case "--concurrency":
        config.concurrency = positive(flag, next(), 1);
        break;
      case "--rounds":
        config.rounds = positive(flag, next(), 1);
        break;
      case "--memory":
        config.memoryInstances = positive(flag, next(), 0);
        break;
      case "--db":
        config.db = positive(flag, next(), 1);
        break;
      case "--docs":
        config.docs = true;
        break;
      case "--profile":
        config.profile = list(next());
        break;
      case "--only":
        config.only = list(next());
        break;
      case "--help":
      case "-h":
        console.log(HELP);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${String(flag)}\n${HELP}`);
    }
  }
  if (config.authors > config.books) throw new Error("--authors must not exceed --books");
  return config;
}
