/**
 * The system under test and its reference, side by side: several clients holding their own
 * in-memory copies (three in this process, one in a child process with its own connection), the
 * reference state, and the checks that compare them (stored hashes, checkIndexes(), queries).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { decodeHash } from "../../src/model/hash.js";
import type { IndexDifference } from "../../src/index.js";
import {
  executeOp,
  MODEL_NAMES,
  MODELS,
  PropAuthor,
  PropBook,
  PropVisit,
  rowOf,
  Slots,
  type CopyView,
  type LooseInstance,
  type ModelName,
  type Op,
  type Outcome,
  type Row,
} from "../support/property-models.js";
import { raw, scanStoredKeys } from "../support/redis.js";
import {
  AUTHOR_KEYS,
  AUTHOR_NAMES,
  BOOK_TITLES,
  HANDLES,
  ISBNS,
  MISSING_BOOK_KEY,
  NAME_PREFIXES,
  TITLE_PREFIXES,
  TOKENS,
  VISIT_IDS,
} from "./pools.js";
import { emptyState, plainState, type State } from "./reference.js";

/** One client: its own copies; `run` performs an operation with them. */
export interface Client {
  readonly name: string;
  run(op: Op): Promise<{ outcome: Outcome; copy: CopyView | undefined }>;
  view(model: ModelName, slot: number): CopyView | undefined;
  reset(): Promise<void>;
}

export class LocalClient implements Client {
  readonly #slots = new Slots();
  constructor(readonly name: string) {}

  async run(op: Op): Promise<{ outcome: Outcome; copy: CopyView | undefined }> {
    const outcome = await executeOp(op, this.#slots);
    return { outcome, copy: this.#slots.view(op.model, op.slot) };
  }

  view(model: ModelName, slot: number): CopyView | undefined {
    return this.#slots.view(model, slot);
  }

  async reset(): Promise<void> {
    this.#slots.clear();
  }
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WORKER = fileURLToPath(new URL("../support/property-worker.ts", import.meta.url));

interface Reply {
  readonly id: number;
  readonly outcome: Outcome;
  readonly copy: CopyView | null;
}

/** A client in a child process (test/support/property-worker.ts), with its own Redis connection. */
export class RemoteClient implements Client {
  readonly name = "child";
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  readonly #views = new Map<string, CopyView>();
  #next = 1;
  #stderr = "";

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
  }

  static async start(url: string): Promise<RemoteClient> {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER, url], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const client = new RemoteClient(child);
    child.stderr.on("data", (chunk: Buffer) => (client.#stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code) => {
        // A crash fails the waiting operations (and start()) instead of leaving them hanging.
        const error = new Error(`property worker exited ${code}: ${client.#stderr}`);
        for (const pending of client.#pending.values()) pending.reject(error);
        client.#pending.clear();
        reject(error);
      });
      lines.on("line", (line) => {
        const message = JSON.parse(line) as Reply | { ready: true };
        if ("ready" in message) return resolve();
        const pending = client.#pending.get(message.id);
        client.#pending.delete(message.id);
        pending?.resolve(message);
      });
    });
    return client;
  }

  #send(request: object): Promise<Reply> {
    const id = this.#next++;
    return new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.stdin.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  async run(op: Op): Promise<{ outcome: Outcome; copy: CopyView | undefined }> {
    const reply = await this.#send({ op });
    const slot = `${op.model}/${op.slot}`;
    if (reply.copy) this.#views.set(slot, reply.copy);
    return { outcome: reply.outcome, copy: reply.copy ?? undefined };
  }

  view(model: ModelName, slot: number): CopyView | undefined {
    return this.#views.get(`${model}/${slot}`);
  }

  async reset(): Promise<void> {
    await this.#send({ reset: true });
    this.#views.clear();
  }

  async stop(): Promise<void> {
    this.#child.removeAllListeners("exit");
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.stdin.end();
    await exited;
  }
}

/** Every instance hash of a model, by SCAN (never KEYS), over every master of a cluster. */
const scanInstances = (model: ModelName): Promise<string[]> => scanStoredKeys(`${model}:*`);

/**
 * The state Redis holds, read from the hashes alone (SCAN, HGETALL, popoto's decode), with every
 * way a hash can be wrong besides its values: a declared field missing, no ttl on a ttl model.
 */
export async function storedState(): Promise<{ state: State; problems: string[] }> {
  const state = emptyState();
  const problems: string[] = [];
  for (const model of MODEL_NAMES) {
    const meta = MODELS[model].meta;
    const keys = await scanInstances(model);
    const pipeline = raw.pipeline();
    for (const key of keys) pipeline.hgetallBuffer(key).pttl(key);
    const replies = (await pipeline.exec()) ?? [];
    keys.forEach((key, i) => {
      const flat = (replies[2 * i]?.[1] ?? {}) as Record<string, Buffer>;
      const ttl = Number(replies[2 * i + 1]?.[1]);
      const hash = new Map(Object.entries(flat));
      if (hash.size === 0) return;
      const missing = meta.fieldNames.filter((f) => !hash.has(f));
      if (missing.length > 0) problems.push(`${key} lacks the fields ${missing.join(", ")}`);
      if (meta.ttl !== undefined && ttl <= 0) problems.push(`${key} has no ttl (PTTL ${ttl})`);
      const values = decodeHash(meta, key, hash);
      state[model].set(key, Object.fromEntries(values) as Row);
    });
  }
  return { state, problems };
}

/** Asserts that Redis holds exactly the reference state, complete hashes only. */
export async function expectStored(expected: State, context: string): Promise<State> {
  const { state, problems } = await storedState();
  expect(problems, `${context}: malformed hashes`).toEqual([]);
  expect(plainState(state), `${context}: stored hashes differ from the reference`).toEqual(
    plainState(expected),
  );
  return state;
}

const describeDifference = (d: IndexDifference): string =>
  `${d.kind} ${JSON.stringify(d.index)} ${JSON.stringify(d.member)}` +
  (d.expected !== undefined || d.actual !== undefined ? ` (expected ${d.expected}, actual ${d.actual})` : "");

/**
 * checkIndexes() on every model. `leftovers` are ttl instances that expired and that no query has
 * met yet: their entries may still be there (docs/storage.md §5), so stale entries of theirs are
 * tolerated; nothing else is.
 */
export async function expectIndexesMatch(
  context: string,
  leftovers: ReadonlySet<string> = new Set(),
): Promise<void> {
  for (const model of MODEL_NAMES) {
    const report = await (MODELS[model] as unknown as typeof PropAuthor).checkIndexes();
    const differences = report.differences.filter((d) => !(d.kind === "stale" && leftovers.has(d.instance)));
    expect(report.misplaced, `${context}: ${model}.checkIndexes() misplaced hashes`).toEqual([]);
    expect(differences.map(describeDifference), `${context}: ${model}.checkIndexes() differences`).toEqual(
      [],
    );
  }
}

// --- queries -------------------------------------------------------------------------------

type Rows = ReadonlyMap<string, Row>;
const sortedKeys = (rows: Rows, where: (row: Row, key: string) => boolean): string[] =>
  [...rows]
    .filter(([key, row]) => where(row, key))
    .map(([key]) => key)
    .sort();

/** popoto's order: nulls first ascending (last descending), numbers numerically, strings by code point. */
const compare = (a: unknown, b: unknown): number => {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  return (a as number | string) < (b as number | string)
    ? -1
    : (a as number | string) > (b as number | string)
      ? 1
      : 0;
};
const page = (rows: Rows, order: readonly string[], offset: number, limit: number): string[] =>
  [...rows]
    .sort(([, a], [, b]) => {
      for (const term of order) {
        const desc = term.startsWith("-");
        const field = desc ? term.slice(1) : term;
        const c = compare(a[field] ?? null, b[field] ?? null);
        if (c !== 0) return desc ? -c : c;
      }
      return 0;
    })
    .slice(offset, offset + limit)
    .map(([key]) => key);

/** Query results as the plain form of plainState(): rows by key, keys and fields sorted. */
const rowsOf = (model: ModelName, instances: readonly object[]): Record<string, Row> => {
  const state = emptyState();
  for (const instance of instances) {
    const loose = instance as LooseInstance;
    state[model].set(loose.redisKey, rowOf(model, loose));
  }
  return plainState(state)[model];
};

const keysOf = (rows: readonly { redisKey: string }[]): string[] => rows.map((r) => r.redisKey).sort();
const inOrder = (rows: readonly { redisKey: string }[]): string[] => rows.map((r) => r.redisKey);

interface QueryCheck {
  readonly label: string;
  readonly actual: () => Promise<unknown>;
  readonly expected: unknown;
}

/** The queries every check runs, with the answers the state calls for. */
function queryChecks(s: State): QueryCheck[] {
  const authors = s.PropAuthor;
  const books = s.PropBook;
  const visits = s.PropVisit;
  const authorNamed = (key: unknown, test: (row: Row) => boolean): boolean => {
    const row = typeof key === "string" ? authors.get(key) : undefined;
    return row !== undefined && test(row);
  };
  const checks: QueryCheck[] = [];
  const add = (label: string, actual: () => Promise<unknown>, expected: unknown): void => {
    checks.push({ label, actual, expected });
  };

  // PropAuthor
  add(
    "PropAuthor.query.all() rows",
    async () => rowsOf("PropAuthor", await PropAuthor.query.all()),
    plainState(s).PropAuthor,
  );
  add("PropAuthor.query.count()", () => PropAuthor.query.count(), authors.size);
  for (const name of AUTHOR_NAMES)
    add(
      `PropAuthor.query.filter({ name: ${JSON.stringify(name)} })`,
      async () => keysOf(await PropAuthor.query.filter({ name })),
      sortedKeys(authors, (r) => r["name"] === name),
    );
  for (const prefix of NAME_PREFIXES)
    add(
      `PropAuthor.query.filter({ name__startswith: ${JSON.stringify(prefix)} }).keys()`,
      async () => (await PropAuthor.query.filter({ name__startswith: prefix }).keys()).sort(),
      sortedKeys(authors, (r) => String(r["name"]).startsWith(prefix)),
    );
  for (const handle of HANDLES)
    add(
      `PropAuthor.query.filter({ handle: "${handle}" })`,
      async () => keysOf(await PropAuthor.query.filter({ handle })),
      sortedKeys(authors, (r) => r["handle"] === handle),
    );
  add(
    "PropAuthor.query.filter({ handle__isnull: true })",
    async () => keysOf(await PropAuthor.query.filter({ handle__isnull: true })),
    sortedKeys(authors, (r) => r["handle"] === null),
  );
  add(
    "PropAuthor.query.filter({ rank__gte: -1, rank__lte: 1 })",
    async () => keysOf(await PropAuthor.query.filter({ rank__gte: -1, rank__lte: 1 })),
    sortedKeys(authors, (r) => Number(r["rank"]) >= -1 && Number(r["rank"]) <= 1),
  );
  add(
    "PropAuthor.query.count({ rank__gt: 0 })",
    () => PropAuthor.query.count({ rank__gt: 0 }),
    sortedKeys(authors, (r) => Number(r["rank"]) > 0).length,
  );
  for (const offset of [0, 2, 4])
    add(
      `PropAuthor.query.orderBy("-rank", "name").offset(${offset}).limit(2)`,
      async () => inOrder(await PropAuthor.query.orderBy("-rank", "name").offset(offset).limit(2)),
      page(authors, ["-rank", "name"], offset, 2),
    );

  // PropBook
  add(
    "PropBook.query.all() rows",
    async () => rowsOf("PropBook", await PropBook.query.all()),
    plainState(s).PropBook,
  );
  add("PropBook.query.count()", () => PropBook.query.count(), books.size);
  for (const title of BOOK_TITLES)
    add(
      `PropBook.query.filter({ title: ${JSON.stringify(title)} })`,
      async () => keysOf(await PropBook.query.filter({ title })),
      sortedKeys(books, (r) => r["title"] === title),
    );
  for (const prefix of TITLE_PREFIXES)
    add(
      `PropBook.query.filter({ title__startswith: ${JSON.stringify(prefix)} })`,
      async () => keysOf(await PropBook.query.filter({ title__startswith: prefix })),
      sortedKeys(books, (r) => String(r["title"]).startsWith(prefix)),
    );
  for (const isbn of ISBNS)
    add(
      `PropBook.query.filter({ isbn: ${isbn} })`,
      async () => keysOf(await PropBook.query.filter({ isbn })),
      sortedKeys(books, (r) => r["isbn"] === isbn),
    );
  AUTHOR_NAMES.forEach((name, i) => {
    const key = AUTHOR_KEYS[i] as string;
    // by instance (an unsaved one: only its key matters) and by key, alternately
    const author = i % 2 === 0 ? new PropAuthor({ name, rank: 0 }) : key;
    add(
      `PropBook.query.filter({ author: ${i % 2 === 0 ? "instance " : ""}${JSON.stringify(key)} })`,
      async () => keysOf(await PropBook.query.filter({ author })),
      sortedKeys(books, (r) => r["author"] === key),
    );
    add(
      `PropBook.query.count({ editor: ${JSON.stringify(key)} })`,
      () => PropBook.query.count({ editor: key }),
      sortedKeys(books, (r) => r["editor"] === key).length,
    );
    add(
      `PropBook.query.filter({ author__name: ${JSON.stringify(name)} })`,
      async () => keysOf(await PropBook.query.filter({ author__name: name })),
      sortedKeys(books, (r) => authorNamed(r["author"], (a) => a["name"] === name)),
    );
    add(
      `PropBook.query.filter({ editor: ${JSON.stringify(key)}, rating__gte: 2 })`,
      async () => keysOf(await PropBook.query.filter({ editor: key, rating__gte: 2 })),
      sortedKeys(books, (r) => r["editor"] === key && Number(r["rating"]) >= 2),
    );
  });
  add(
    "PropBook.query.filter({ author: null })",
    async () => keysOf(await PropBook.query.filter({ author: null })),
    sortedKeys(books, (r) => r["author"] === null),
  );
  add(
    "PropBook.query.filter({ editor__isnull: false })",
    async () => keysOf(await PropBook.query.filter({ editor__isnull: false })),
    sortedKeys(books, (r) => r["editor"] !== null),
  );
  add(
    "PropBook.query.filter({ editor: null, rating__lt: 2 })",
    async () => keysOf(await PropBook.query.filter({ editor: null, rating__lt: 2 })),
    sortedKeys(books, (r) => r["editor"] === null && Number(r["rating"]) < 2),
  );
  add(
    'PropBook.query.filter({ author__name__startswith: "a" })',
    async () => keysOf(await PropBook.query.filter({ author__name__startswith: "a" })),
    sortedKeys(books, (r) => authorNamed(r["author"], (a) => String(a["name"]).startsWith("a"))),
  );
  add(
    "PropBook.query.filter({ editor__rank__gte: 1 })",
    async () => keysOf(await PropBook.query.filter({ editor__rank__gte: 1 })),
    sortedKeys(books, (r) => authorNamed(r["editor"], (a) => Number(a["rank"]) >= 1)),
  );
  add(
    "PropBook.query.filter({ pages__gte: 100, pages__lte: 300 })",
    async () => keysOf(await PropBook.query.filter({ pages__gte: 100, pages__lte: 300 })),
    sortedKeys(books, (r) => Number(r["pages"]) >= 100 && Number(r["pages"]) <= 300),
  );
  add(
    "PropBook.query.count({ pages__lt: 200 })",
    () => PropBook.query.count({ pages__lt: 200 }),
    sortedKeys(books, (r) => Number(r["pages"]) < 200).length,
  );
  for (const offset of [0, 3])
    add(
      `PropBook.query.orderBy("-pages", "title", "isbn").offset(${offset}).limit(3)`,
      async () => inOrder(await PropBook.query.orderBy("-pages", "title", "isbn").offset(offset).limit(3)),
      page(books, ["-pages", "title", "isbn"], offset, 3),
    );

  // PropVisit (ttl)
  add(
    "PropVisit.query.all() rows",
    async () => rowsOf("PropVisit", await PropVisit.query.all()),
    plainState(s).PropVisit,
  );
  add("PropVisit.query.count()", () => PropVisit.query.count(), visits.size);
  for (const id of VISIT_IDS)
    add(
      `PropVisit.query.filter({ id: "${id}" })`,
      async () => keysOf(await PropVisit.query.filter({ id })),
      sortedKeys(visits, (r) => r["id"] === id),
    );
  for (const book of [...[...books.keys()].sort(), MISSING_BOOK_KEY])
    add(
      `PropVisit.query.filter({ book: ${JSON.stringify(book)} })`,
      async () => keysOf(await PropVisit.query.filter({ book })),
      sortedKeys(visits, (r) => r["book"] === book),
    );
  add(
    "PropVisit.query.filter({ book__isnull: true })",
    async () => keysOf(await PropVisit.query.filter({ book__isnull: true })),
    sortedKeys(visits, (r) => r["book"] === null),
  );
  for (const title of BOOK_TITLES.slice(0, 3))
    add(
      `PropVisit.query.filter({ book__title: ${JSON.stringify(title)} })`,
      async () => keysOf(await PropVisit.query.filter({ book__title: title })),
      sortedKeys(visits, (r) => {
        const book = typeof r["book"] === "string" ? books.get(r["book"]) : undefined;
        return book?.["title"] === title;
      }),
    );
  for (const name of AUTHOR_NAMES.slice(0, 3))
    add(
      `PropVisit.query.filter({ book__author__name: ${JSON.stringify(name)} })`,
      async () => keysOf(await PropVisit.query.filter({ book__author__name: name })),
      sortedKeys(visits, (r) => {
        const book = typeof r["book"] === "string" ? books.get(r["book"]) : undefined;
        return book !== undefined && authorNamed(book["author"], (a) => a["name"] === name);
      }),
    );
  for (const token of TOKENS)
    add(
      `PropVisit.query.filter({ token: "${token}" })`,
      async () => keysOf(await PropVisit.query.filter({ token })),
      sortedKeys(visits, (r) => r["token"] === token),
    );
  add(
    "PropVisit.query.count({ hits__gt: 2 })",
    () => PropVisit.query.count({ hits__gt: 2 }),
    sortedKeys(visits, (r) => Number(r["hits"]) > 2).length,
  );
  for (const offset of [0, 2])
    add(
      `PropVisit.query.orderBy("hits", "id").offset(${offset}).limit(2)`,
      async () => inOrder(await PropVisit.query.orderBy("hits", "id").offset(offset).limit(2)),
      page(visits, ["hits", "id"], offset, 2),
    );
  return checks;
}

/** Runs every query and asserts each answers as the state says. */
export async function expectQueriesMatch(state: State, context: string): Promise<void> {
  const checks = queryChecks(state);
  const answers = await Promise.all(
    checks.map((c) =>
      c.actual().then(
        (value) => ({ value }),
        (error: unknown) => ({ error: String((error as Error).stack ?? error) }),
      ),
    ),
  );
  const wrong = checks.flatMap((c, i) => {
    const answer = answers[i] as { value?: unknown; error?: string };
    if ("error" in answer) return [`${c.label} threw ${answer.error}`];
    return JSON.stringify(answer.value) === JSON.stringify(c.expected)
      ? []
      : [`${c.label}: expected ${JSON.stringify(c.expected)}, got ${JSON.stringify(answer.value)}`];
  });
  expect(wrong, `${context}: query answers differ from the state`).toEqual([]);
}
