import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapePart, joinKey, splitKey, unescapePart } from "../../src/keys/escape.js";

const SPECIALS = [
  "/",
  "'",
  "?",
  "*",
  "^",
  "[",
  "]",
  "-",
  ":",
  "{",
  "}",
  "&",
  "#",
  ";",
  "{&#58;}",
  "/{&#58;}",
];

/** Unicode text rich in the characters and sequences that escaping touches. */
const part = fc.string({
  unit: fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
});

describe("escapePart", () => {
  it("matches the storage spec's examples", () => {
    expect(escapePart("new-york")).toBe("new/-york");
    expect(escapePart("a:b-c*d/e{x}")).toBe("a{&#58;}b/-c/*d//e{x}");
    expect(escapePart("2020-01-02")).toBe("2020/-01/-02");
  });

  it("escapes each glob character and the slash", () => {
    expect(escapePart("'?*^[]-/")).toBe("/'/?/*/^/[/]/-//");
  });

  it("prefixes a literal colon escape with one slash", () => {
    expect(escapePart("{&#58;}")).toBe("/{&#58;}");
    expect(escapePart("a:{&#58;}:")).toBe("a{&#58;}/{&#58;}{&#58;}");
  });

  it("leaves spaces, braces and non-ASCII text alone", () => {
    expect(escapePart("Burger Palace {x} é 😀")).toBe("Burger Palace {x} é 😀");
    expect(escapePart("")).toBe("");
  });

  it("never leaves a raw colon", () => {
    fc.assert(fc.property(part, (value) => !escapePart(value).includes(":")));
  });
});

describe("unescapePart", () => {
  it("inverts the spec's examples", () => {
    expect(unescapePart("new/-york")).toBe("new-york");
    expect(unescapePart("a{&#58;}b/-c/*d//e{x}")).toBe("a:b-c*d/e{x}");
    expect(unescapePart("/{&#58;}")).toBe("{&#58;}");
  });

  it("keeps a slash before a character that is never escaped, as Popoto does", () => {
    expect(unescapePart("/a")).toBe("/a");
    expect(unescapePart("a/")).toBe("a/");
  });

  it("round-trips any text", () => {
    fc.assert(
      fc.property(part, (value) => {
        expect(unescapePart(escapePart(value))).toBe(value);
      }),
    );
  });
});

describe("joinKey and splitKey", () => {
  it("join with ':' and split back into the escaped parts", () => {
    const parts = ["Restaurant", escapePart("new-york"), escapePart("a:b")];
    const key = joinKey(parts);
    expect(key).toBe("Restaurant:new/-york:a{&#58;}b");
    expect(splitKey(key)).toEqual(parts);
    expect(splitKey(key).map(unescapePart)).toEqual(["Restaurant", "new-york", "a:b"]);
  });

  it("split any joined list of escaped parts exactly", () => {
    fc.assert(
      fc.property(fc.array(part, { minLength: 1 }), (values) => {
        expect(splitKey(joinKey(values.map(escapePart))).map(unescapePart)).toEqual(values);
      }),
    );
  });
});
