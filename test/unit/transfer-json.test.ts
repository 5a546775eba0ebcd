/**
 * The JSON form of field values in export lines (src/transfer/json-values.ts): each type's form,
 * the tags of nested values, and the errors of malformed input. Pure, no Redis.
 */
import { describe, expect, it } from "vitest";
import { withMicros } from "../../src/encoding/temporal.js";
import type { FieldSpec } from "../../src/fields/field.js";
import {
  fieldFromJson,
  fieldToJson,
  JsonValueError,
  nestedFromJson,
  nestedToJson,
  portableKey,
  type Json,
} from "../../src/transfer/json-values.js";

const spec = (type: FieldSpec["type"], kind: FieldSpec["kind"] = "plain", many = false): FieldSpec =>
  ({ type, kind, many, nullable: true }) as FieldSpec;

describe("export JSON values", () => {
  it("writes each type in the form create() takes, and reads it back", () => {
    const at = withMicros(new Date("2020-01-02T03:04:05.678Z"), 901);
    const cases: [FieldSpec, unknown, Json][] = [
      [spec("string"), "a", "a"],
      [spec("int"), -3, -3],
      [spec("float"), 0.1, 0.1],
      [spec("float"), -0, "-0"],
      [spec("boolean"), false, false],
      [spec("bytes"), Buffer.from([0, 255]), "AP8="],
      [spec("decimal"), "1.10", "1.10"],
      [spec("date"), new Date("2020-01-02T00:00:00Z"), "2020-01-02"],
      [spec("datetime"), at, "2020-01-02T03:04:05.678901Z"],
      [spec("time"), "01:02:03.000004", "01:02:03.000004"],
      [spec("set"), new Set(["a", 1]), ["a", 1]],
      [spec("tuple"), ["a", 1], ["a", 1]],
      [spec("string", "relationship"), "{Author}:Tolkien", "Author:Tolkien"],
      [spec("string", "relationship", true), ["Author:A", "{Author}:B"], ["Author:A", "Author:B"]],
      [spec("string", "relationship", true), null, []],
      [spec("string", "geo"), { latitude: 1, longitude: 2 }, { latitude: 1, longitude: 2 }],
      [spec("string"), null, null],
    ];
    for (const [field, value, json] of cases) {
      expect(fieldToJson(field, value)).toEqual(json);
    }
    expect(Object.is(fieldFromJson(spec("float"), "-0"), -0)).toBe(true);
    expect(fieldFromJson(spec("bytes"), "AP8=")).toEqual(Buffer.from([0, 255]));
    expect(fieldFromJson(spec("set"), ["a", 1])).toEqual(new Set(["a", 1]));
    const date = fieldFromJson(spec("datetime"), "2020-01-02T03:04:05.678901Z") as Date;
    expect(fieldToJson(spec("datetime"), date)).toBe("2020-01-02T03:04:05.678901Z");
  });

  it("tags nested values JSON lacks, and wraps a dict that looks like a tag", () => {
    const nested = [
      Buffer.from("hi"),
      new Set([1]),
      new Date("2021-05-06T07:08:09.010Z"),
      2n ** 60n,
      { $b: 1 },
      { $b: 1, c: 2 },
    ];
    const json = nestedToJson(nested);
    expect(json).toEqual([
      { $bytes: "aGk=" },
      { $set: [1] },
      { $datetime: "2021-05-06T07:08:09.010000Z" },
      { $int: "1152921504606846976" },
      { $dict: { $b: 1 } },
      { $b: 1, c: 2 },
    ]);
    const back = nestedFromJson(JSON.parse(JSON.stringify(json)) as Json) as unknown[];
    expect(back[0]).toEqual(Buffer.from("hi"));
    expect(back[1]).toEqual(new Set([1]));
    expect((back[2] as Date).toISOString()).toBe("2021-05-06T07:08:09.010Z");
    expect(back[3]).toBe(2n ** 60n);
    expect({ ...(back[4] as object) }).toEqual({ $b: 1 });
    expect({ ...(back[5] as object) }).toEqual({ $b: 1, c: 2 });
    // A top-level dict field is typed: its own members are never read as a tag.
    expect({ ...(fieldFromJson(spec("dict"), { $set: [1] }) as object) }).toEqual({ $set: [1] });
  });

  it("names what is wrong with a malformed value", () => {
    expect(() => nestedFromJson({ $nope: 1 })).toThrow(/unknown tag "\$nope"/);
    expect(() => nestedFromJson({ $bytes: "***" })).toThrow(JsonValueError);
    expect(() => nestedFromJson({ $int: "1.5" })).toThrow(/decimal digits/);
    expect(() => fieldFromJson(spec("bytes"), 12)).toThrow(
      /expected base64 text for a bytes field, received 12/,
    );
    expect(() => fieldFromJson(spec("list"), "x")).toThrow(/expected an array for a list field/);
    expect(() => fieldFromJson(spec("datetime"), "2020-01-02T03:04:05")).toThrow(/with Z or an offset/);
  });

  it("spells keys the standalone way", () => {
    expect(portableKey("{Book}:a:b")).toBe("Book:a:b");
    expect(portableKey("Book:{x}:b")).toBe("Book:{x}:b");
  });
});
