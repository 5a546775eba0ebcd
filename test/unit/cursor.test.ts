/** page() cursors as data: what they carry, and every way a cursor is refused. */
import { describe, expect, it } from "vitest";
import { InvalidCursorError } from "../../src/errors.js";
import { decodeCursor, encodeCursor } from "../../src/query/cursor.js";

const SHAPE = "Book|score|-pages|$SortF:Book:pages";

describe("page() cursors", () => {
  it("carry the last score and key back exactly (doubles included)", () => {
    for (const score of [0, -3, 310, 0.1, 1e21, -2.5e-300, 737_791.123456789]) {
      const cursor = encodeCursor(SHAPE, { score, key: "Book:The Hobbit" });
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}$/);
      expect(decodeCursor("Book", SHAPE, true, cursor)).toEqual({ score, key: "Book:The Hobbit" });
    }
    const keyed = encodeCursor("Book|key", { key: "Book:a:b" });
    expect(decodeCursor("Book", "Book|key", false, keyed)).toEqual({ key: "Book:a:b" });
  });

  it("refuses a cursor of another shape, an edited one, and anything else", () => {
    const cursor = encodeCursor(SHAPE, { score: 3, key: "Book:x" });
    const [payload, check] = cursor.split(".") as [string, string];
    const forged = Buffer.from(JSON.stringify({ v: 1, s: 4, k: "Book:x" })).toString("base64url");
    const refused: [string, boolean, unknown][] = [
      ["Book|score|pages|$SortF:Book:pages", true, cursor],
      ["Book|key", false, cursor],
      [SHAPE, true, `${forged}.${check}`],
      [SHAPE, true, payload],
      [SHAPE, true, `${cursor}.x`],
      [SHAPE, true, 42],
      [SHAPE, true, ""],
    ];
    for (const [shape, scored, given] of refused) {
      let error: unknown;
      try {
        decodeCursor("Book", shape, scored, given);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidCursorError);
      expect((error as InvalidCursorError).code).toBe("INVALID_CURSOR");
      expect((error as Error).message).toMatch(/^Book query: page\(\) cannot continue/);
    }
  });
});
