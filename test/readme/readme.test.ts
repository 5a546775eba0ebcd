/**
 * Every ```ts block of README.md runs as written: each is extracted to a file of its own, all are
 * compiled together in strict mode, then each runs in a process of its own against the test
 * database (emptied before each) and must exit 0 by itself, which also proves it disconnects.
 * The only change to a block is that `"popoto"` (and `"popoto/testing"`) resolve to this
 * repository's source.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { raw, TEST_URL, useRedis } from "../support/redis.js";
import { readmeBlocks } from "./readme-blocks.js";

useRedis();

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIR = `${ROOT}.readme-blocks/`;
const blocks = readmeBlocks(readFileSync(`${ROOT}README.md`, "utf8"));
const fileOf = (index: number): string => `block-${String(index).padStart(2, "0")}.ts`;

rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
for (const block of blocks) {
  const header = `// README.md line ${block.line} (${block.heading})\n`;
  const code = block.code
    .replace(/(from\s+|import\s+)"popoto"/g, '$1"../src/index.js"')
    .replace(/(from\s+|import\s+)"popoto\/testing"/g, '$1"../src/testing/index.js"');
  // A block without imports or exports would be a script sharing one scope with the others.
  writeFileSync(DIR + fileOf(block.index), `${header}${code}export {};\n`);
}
writeFileSync(
  `${DIR}tsconfig.json`,
  JSON.stringify({ extends: "../tsconfig.json", compilerOptions: { noEmit: true }, include: ["*.ts"] }),
);

interface Run {
  code: number | null;
  out: string;
  err: string;
  timedOut: boolean;
}

const run = (file: string, timeoutMs: number): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], {
      cwd: DIR,
      env: { ...process.env, REDIS_URL: TEST_URL },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, timedOut });
    });
  });

describe("README.md", () => {
  it("has ts blocks, and every skipped one says why", () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const block of blocks.filter((b) => b.skip !== undefined)) expect(block.skip).toMatch(/\w{3}/);
  });

  it("every ts block compiles in strict mode", () => {
    const tsc = spawnSync(process.execPath, [`${ROOT}node_modules/typescript/bin/tsc`, "-p", DIR], {
      encoding: "utf8",
    });
    expect(tsc.stdout + tsc.stderr, "see .readme-blocks/ for the extracted files").toBe("");
    expect(tsc.status).toBe(0);
  }, 120_000);

  for (const block of blocks) {
    const title = `block ${block.index} (line ${block.line}, ${block.heading}) runs and exits`;
    if (block.skip !== undefined) {
      it.skip(`${title}: skipped, ${block.skip}`, () => undefined);
      continue;
    }
    it(
      title,
      async () => {
        await raw.flushdb();
        const result = await run(fileOf(block.index), 60_000);
        const shown = `${DIR}${fileOf(block.index)}\nstdout:\n${result.out}\nstderr:\n${result.err}`;
        expect(result.timedOut, `did not exit within 60 s (does it disconnect()?)\n${shown}`).toBe(false);
        expect(result.code, shown).toBe(0);
        expect(result.err, shown).toBe("");
      },
      90_000,
    );
  }
});
