/**
 * The generated parts of docs/benchmarks.md. Each lives between `<!-- bench:NAME -->` and
 * `<!-- /bench:NAME -->`, so a run refreshes numbers and leaves the hand-written analysis alone.
 */
import { readFile, writeFile } from "node:fs/promises";
import * as prettier from "prettier";
import { describeSharing, type Environment } from "../measure/environment.js";
import type { ProfileSummary } from "../measure/profile.js";
import type { VerificationSummary } from "../verify/verifier.js";
import type { Machine } from "./machine.js";
import { markdownTable, type Table } from "./table.js";

export interface DocSections {
  readonly machine: Machine;
  readonly command: string;
  readonly date: string;
  readonly seconds: number;
  readonly environment: Environment;
  readonly rounds: number;
  readonly results: Table;
  readonly memory: Table | undefined;
  readonly redisMemory: string | undefined;
  readonly verification: VerificationSummary;
  readonly profiles: readonly ProfileSummary[];
}

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

const code = (name: string): string => `\`${name.replaceAll("`", "'")}\``;

function profileMarkdown(profiles: readonly ProfileSummary[]): string {
  if (profiles.length === 0) return "No profile in this run (`--profile 3,7` records some).";
  const baselineOf = (p: ProfileSummary): ProfileSummary | undefined =>
    profiles.find((b) => b !== p && b.label === p.label.replace("popoto", "baseline"));
  return profiles
    .filter((p) => p.label.includes("popoto"))
    .map((p) => {
      const baseline = baselineOf(p);
      return [
        `**${p.label}**: ${p.totalMs} ms sampled (raw profile \`${p.file}\`).` +
          (baseline
            ? ` The baseline, same workload: ${baseline.totalMs} ms, of which ` +
              baseline.areas
                .slice(0, 4)
                .map((a) => `${a.name} ${a.ms} ms`)
                .join(", ") +
              "."
            : ""),
        "",
        markdownTable({
          headers: ["self time by area", "ms", "share"],
          align: ["l", "r", "r"],
          rows: p.areas.slice(0, 8).map((a) => [a.name, String(a.ms), percent(a.share)]),
        }),
        "",
        markdownTable({
          headers: ["popoto function, with what it calls", "ms", "share"],
          align: ["l", "r", "r"],
          rows: p.popotoInclusive.slice(0, 10).map((a) => [code(a.name), String(a.ms), percent(a.share)]),
        }),
        "",
        markdownTable({
          headers: ["function (self time)", "ms", "share"],
          align: ["l", "r", "r"],
          rows: p.functions.slice(0, 10).map((a) => [code(a.name), String(a.ms), percent(a.share)]),
        }),
      ].join("\n");
    })
    .join("\n\n");
}

export function sections(doc: DocSections): Map<string, string> {
  const m = doc.machine;
  return new Map([
    [
      "machine",
      [
        `Run on ${doc.date}, ${Math.round(doc.seconds)} s in all, ${doc.rounds} rounds (each figure is ` +
          `from the round with the median popoto/baseline ratio). Machine and server shared with: ` +
          `${describeSharing(doc.environment.start)} at the start; ${describeSharing(doc.environment.end)} at the end.`,
        "",
        `- CPU: ${m.cpuModel}, \`nproc\` ${m.cores}`,
        `- memory: ${m.memoryGiB} GiB`,
        `- Node ${m.node}, Redis ${m.redis} (on the same machine, loopback TCP), ${m.os}`,
        `- popoto: commit ${doc.environment.source.commit}` +
          (doc.environment.source.changedSrcFiles > 0
            ? ` with ${doc.environment.source.changedSrcFiles} files under src/ changed (the working tree was measured)`
            : ""),
        "",
        "```sh",
        doc.command,
        "```",
      ].join("\n"),
    ],
    ["results", markdownTable(doc.results)],
    [
      "memory",
      doc.memory
        ? `${markdownTable(doc.memory)}${doc.redisMemory ? `\n\n${doc.redisMemory}.` : ""}`
        : "Not measured in this run (`--memory 0`).",
    ],
    [
      "verification",
      [
        ...doc.verification.checks.map((c) => `- ${c}`),
        ...(doc.verification.problems.length === 0
          ? ["", "Every check passed."]
          : ["", "**Failed:**", ...doc.verification.problems.map((p) => `- ${p}`)]),
      ].join("\n"),
    ],
    ["profiles", profileMarkdown(doc.profiles)],
  ]);
}

/** Replaces each marked section of the file (a missing file gets every section in order). */
export async function refreshDoc(path: string, parts: ReadonlyMap<string, string>): Promise<string[]> {
  let doc: string;
  try {
    doc = await readFile(path, "utf8");
  } catch {
    doc = [...parts.keys()].map((name) => `<!-- bench:${name} -->\n<!-- /bench:${name} -->`).join("\n\n");
  }
  const missing: string[] = [];
  for (const [name, body] of parts) {
    const open = `<!-- bench:${name} -->`;
    const close = `<!-- /bench:${name} -->`;
    const start = doc.indexOf(open);
    const end = doc.indexOf(close);
    if (start < 0 || end < start) {
      missing.push(name);
      continue;
    }
    doc = `${doc.slice(0, start + open.length)}\n\n${body}\n\n${doc.slice(end)}`;
  }
  // The page is checked by `prettier --check .` with the rest of the repository: write it formatted.
  const options = (await prettier.resolveConfig(path)) ?? {};
  await writeFile(path, await prettier.format(doc, { ...options, filepath: path }));
  return missing;
}
