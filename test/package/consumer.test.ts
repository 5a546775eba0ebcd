/**
 * The package as users get it: built, checked by publint and @arethetypeswrong/cli, packed,
 * installed by path into a fresh project, and used from there: `import` and `require` both load
 * it, and strict TypeScript compiles code that relies on query results typed as the user's class
 * with no declaration beyond the class.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "node_modules/.bin");
const work = mkdtempSync(join(tmpdir(), "popoto-consumer-"));
const project = join(work, "app");

const run = (
  command: string,
  args: readonly string[],
  cwd: string,
): { status: number | null; output: string } => {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
};

const CONSUMER = `import { connect, disconnect, Field, KeyField, Model, Relationship, SortedField } from "popoto";
import type { Filter, InferCreate, InferValues } from "popoto";
import { after, before, beforeEach } from "node:test";
import { useTestDatabase } from "popoto/testing";
import type { TestDatabaseHandle } from "popoto/testing";

// Registered only when called: typed against node:test's hooks.
export const isolate = (): TestDatabaseHandle => useTestDatabase({ before, after, beforeEach });

class Author extends Model("Author", { name: KeyField(), country: Field({ null: true }) }) {}

class Book extends Model("Book", {
  title: KeyField(),
  author: Relationship(Author),
  pages: SortedField({ type: "int" }),
}) {
  get label(): string {
    return \`\${this.title} (\${this.pages} pages)\`;
  }
}

export async function main(): Promise<string | undefined> {
  await connect();
  const b: Book | null = await Book.query().get({ title: "The Hobbit" });
  const many: Book[] = await Book.query().filter({ pages__gte: 300 }).orderBy("-pages");
  const created: Book = await Book.create({ title: "Dune", author: "Author:Herbert", pages: 412 });
  const loaded: Book | null = await Book.load({ title: "Dune" });
  const where: Filter<typeof Book> = { pages__lt: 100 };
  const input: InferCreate<typeof Book> = { title: "x", author: "Author:y", pages: 1 };
  const values: InferValues<typeof Book>["pages"] = 3;
  await Book.query.filter(where).count();
  // @ts-expect-error pages takes numbers
  await Book.query().filter({ pages__gte: "300" });
  // Included relationships are loaded instances: their fields need no load() or cast.
  const withAuthor = await Book.query().include("author").first();
  const author: Author | null | undefined = withAuthor?.author;
  const country: string | null | undefined = withAuthor?.author?.country;
  await disconnect();
  return [b?.label, many[0]?.label, created.label, loaded?.label, input.title, values, author?.name, country].join();
}
`;

// A CommonJS module of the same project: resolved through the "require" condition's types.
const CJS_CONSUMER = `import popoto = require("popoto");

class Tag extends popoto.Model("Tag", { name: popoto.KeyField() }) {
  get hash(): string {
    return "#" + this.name;
  }
}

export const find = async (): Promise<string | undefined> => {
  const tag: Tag | null = await Tag.query().get({ name: "redis" });
  return tag?.hash;
};
`;

beforeAll(() => {
  // Build exactly what is published (both the ESM and the CommonJS output).
  execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "pipe" });
}, 600_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("the published package", () => {
  it("passes publint and @arethetypeswrong/cli", () => {
    const publint = run(join(BIN, "publint"), ["--strict"], ROOT);
    expect(publint.status, publint.output).toBe(0);
    const attw = run(join(BIN, "attw"), ["--pack", ".", "--profile", "node16", "--format", "ascii"], ROOT);
    expect(attw.status, attw.output).toBe(0);
  }, 300_000);

  it("installs by path into a fresh project, loads with import and require, and compiles strict code", () => {
    const packed = run("npm", ["pack", "--pack-destination", work], ROOT);
    expect(packed.status, packed.output).toBe(0);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    run("mkdir", ["-p", project], work);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "app", private: true, type: "module" }),
    );
    // @types/node from this repository, by path too, so the install needs nothing new from a registry.
    const install = run(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--ignore-scripts",
        join(work, tarball as string),
        join(ROOT, "node_modules/@types/node"),
      ],
      project,
    );
    expect(install.status, install.output).toBe(0);

    const esm = run(
      process.execPath,
      ["--input-type=module", "-e", 'import { Model } from "popoto"; console.log(typeof Model)'],
      project,
    );
    expect(esm.output.trim()).toBe("function");
    const cjs = run(process.execPath, ["-e", 'console.log(typeof require("popoto").Model)'], project);
    expect(cjs.output.trim()).toBe("function");
    const testing = run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'import { useTestDatabase } from "popoto/testing"; console.log(typeof useTestDatabase)',
      ],
      project,
    );
    expect(testing.output.trim()).toBe("function");
    const testingCjs = run(
      process.execPath,
      ["-e", 'console.log(typeof require("popoto/testing").claimTestDatabase)'],
      project,
    );
    expect(testingCjs.output.trim()).toBe("function");

    writeFileSync(join(project, "app.ts"), CONSUMER);
    writeFileSync(join(project, "legacy.cts"), CJS_CONSUMER);
    writeFileSync(
      join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          exactOptionalPropertyTypes: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
        },
        files: ["app.ts", "legacy.cts"],
      }),
    );
    const tsc = run(
      process.execPath,
      [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", project],
      project,
    );
    expect(tsc.output, "the consumer project must compile").toBe("");
    expect(tsc.status).toBe(0);
  }, 600_000);
});
