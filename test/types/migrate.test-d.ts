/**
 * Schema migrations: `Model.migrate(options)` and its result, and IndexNotBuiltError.
 */
import { describe, expectTypeOf, test } from "vitest";
import {
  IndexNotBuiltError,
  KeyField,
  Model,
  SortedField,
  type MigrateOptions,
  type MigrateResult,
  type PopotoErrorCode,
} from "../../src/index.js";

class Shelf extends Model("TypesMigrateShelf", { id: KeyField(), size: SortedField({ type: "int" }) }) {}

describe("migrate()", () => {
  test("takes optional batch, step and progress options and resolves to a MigrateResult", async () => {
    expectTypeOf(Shelf.migrate).parameter(0).toEqualTypeOf<MigrateOptions | undefined>();
    const result = await Shelf.migrate({
      batchSize: 100,
      maxSteps: 10,
      onProgress: (phase, done, total) => {
        expectTypeOf(phase).toEqualTypeOf<"build" | "drop">();
        expectTypeOf(done).toEqualTypeOf<number>();
        expectTypeOf(total).toEqualTypeOf<number>();
      },
    });
    expectTypeOf(result).toEqualTypeOf<MigrateResult>();
    expectTypeOf(result.built).toEqualTypeOf<readonly string[]>();
    expectTypeOf(result.complete).toEqualTypeOf<boolean>();
    await Shelf.migrate();
    await Shelf.migrate({ maxSteps: undefined });
  });

  test("rejects options of the wrong type", async () => {
    // @ts-expect-error maxSteps is a number of steps
    await Shelf.migrate({ maxSteps: "10" });
    // @ts-expect-error the progress phase is build or drop, not any string
    await Shelf.migrate({ onProgress: (phase: "hashes") => phase });
    // @ts-expect-error unknown option
    await Shelf.migrate({ dryRun: true });
  });

  test("IndexNotBuiltError names the field and the index", () => {
    const error = new IndexNotBuiltError("Shelf", "size", "sorted:size");
    expectTypeOf(error.code).toEqualTypeOf<PopotoErrorCode>();
    expectTypeOf(error.field).toEqualTypeOf<string>();
    expectTypeOf(error.index).toEqualTypeOf<string>();
  });
});
