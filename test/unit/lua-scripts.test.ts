import { describe, expect, it } from "vitest";
import { renderScripts } from "../../scripts/build-lua.js";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

describe("generated Lua module", () => {
  it("matches src/scripts/*.lua (run `npm run build:lua` after editing a script)", () => {
    const committed = readFileSync(
      fileURLToPath(new URL("../../src/scripts/scripts.generated.ts", import.meta.url)),
      "utf8",
    );
    expect(committed).toBe(renderScripts());
  });

  it("opens every script with its KEYS and ARGV contract", () => {
    for (const name of ["write", "query", "commute"]) {
      const source = readFileSync(
        fileURLToPath(new URL(`../../src/scripts/${name}.lua`, import.meta.url)),
        "utf8",
      );
      expect(source.slice(0, 2000)).toMatch(/KEYS/);
      expect(source.slice(0, 2000)).toMatch(/ARGV/);
    }
  });
});
