/** `popoto reshard <Model> --shards N` on the command line (src/cli/args.ts). */
import { describe, expect, it } from "vitest";
import { parseCliArgs, UsageError, USAGE } from "../../src/cli/args.js";

const parse = (...argv: string[]): ReturnType<typeof parseCliArgs> => parseCliArgs(argv, {});

describe("popoto reshard arguments", () => {
  it("takes the model and the count, and the batch size", () => {
    const args = parse("reshard", "Event", "--shards", "6", "--models", "m.js", "--batch-size", "200");
    expect(args).toMatchObject({
      command: "reshard",
      reshard: { model: "Event", shards: 6 },
      batchSize: 200,
    });
    expect(parse("check", "--models", "m.js")).toMatchObject({ reshard: undefined });
  });

  it("refuses a reshard without its model or count, and --shards elsewhere", () => {
    expect(() => parse("reshard", "--shards", "6", "--models", "m.js")).toThrow(UsageError);
    expect(() => parse("reshard", "Event", "--models", "m.js")).toThrow(/--shards N/);
    expect(() => parse("reshard", "Event", "--shards", "six", "--models", "m.js")).toThrow(/whole number/);
    expect(() => parse("check", "--shards", "6", "--models", "m.js")).toThrow(/option of popoto reshard/);
    expect(() => parse("reshard", "Event", "Other", "--shards", "6", "--models", "m.js")).toThrow(
      /Unexpected/,
    );
  });

  it("is in the help text", () => {
    expect(USAGE).toContain("reshard   popoto reshard <Model> --shards N");
    expect(USAGE).toContain("--shards <n>");
  });
});
