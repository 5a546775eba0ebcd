/**
 * The ```ts blocks of a markdown document, as data, for the test that runs every README block.
 * A block is skipped only when the line before its fence says why:
 * `<!-- readme-test: skip, <reason> -->`.
 */
export interface ReadmeBlock {
  /** 1-based position among the document's ```ts blocks. */
  readonly index: number;
  /** Line of the opening fence (1-based). */
  readonly line: number;
  /** The nearest heading above the block. */
  readonly heading: string;
  readonly code: string;
  /** Why the block is not run, when it is marked to be skipped. */
  readonly skip: string | undefined;
}

const SKIP = /^<!--\s*readme-test:\s*skip\b[\s,:—-]*(.*?)\s*-->$/;

export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split("\n");
  const blocks: ReadmeBlock[] = [];
  let heading = "(top)";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, "");
    const fence = /^(\s*)(```+|~~~+)\s*(\S*)/.exec(line);
    if (!fence) continue;
    const marker = fence[2] as string;
    const end = lines.findIndex((l, j) => j > i && l.trim().startsWith(marker));
    if (end === -1) throw new Error(`line ${i + 1}: a code fence that is never closed`);
    if (fence[3] === "ts" || fence[3] === "typescript") {
      const before = (lines[i - 1] ?? "").trim();
      const marked = SKIP.exec(before);
      if (before.startsWith("<!--") && before.includes("readme-test") && !marked?.[1])
        throw new Error(`line ${i}: a readme-test marker must say "skip, <reason>"`);
      blocks.push({
        index: blocks.length + 1,
        line: i + 1,
        heading,
        code: lines.slice(i + 1, end).join("\n") + "\n",
        skip: marked?.[1] || undefined,
      });
    }
    i = end;
  }
  return blocks;
}
