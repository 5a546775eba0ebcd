import { describe, expect, it } from "vitest";
import { readmeBlocks } from "../readme/readme-blocks.js";

const fence = "```";

describe("readmeBlocks", () => {
  it("finds ts blocks with their heading and line, and ignores other languages", () => {
    const md = [
      "# Title",
      `${fence}sh`,
      "npm test",
      fence,
      "## Quick start",
      `${fence}ts`,
      "const a = 1;",
      fence,
      `${fence}typescript`,
      "const b = 2;",
      fence,
    ].join("\n");
    expect(readmeBlocks(md)).toEqual([
      { index: 1, line: 6, heading: "Quick start", code: "const a = 1;\n", skip: undefined },
      { index: 2, line: 9, heading: "Quick start", code: "const b = 2;\n", skip: undefined },
    ]);
  });

  it("skips a block only with a stated reason", () => {
    const md = ["## TLS", "<!-- readme-test: skip, needs a TLS server -->", `${fence}ts`, "x;", fence].join(
      "\n",
    );
    expect(readmeBlocks(md)[0]?.skip).toBe("needs a TLS server");
    const bare = ["<!-- readme-test: skip -->", `${fence}ts`, "x;", fence].join("\n");
    expect(() => readmeBlocks(bare)).toThrow(/must say "skip, <reason>"/);
  });

  it("does not read a fence inside another block as a block", () => {
    const md = ["````md", `${fence}ts`, "inner", fence, "````"].join("\n");
    expect(readmeBlocks(md)).toEqual([]);
  });

  it("refuses an unclosed fence", () => {
    expect(() => readmeBlocks(`${fence}ts\nx;\n`)).toThrow(/never closed/);
  });
});
