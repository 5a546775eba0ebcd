/** `AutoKeyField()`: a generated key (also the hidden `_auto_key` of a model without key fields). */
import type { AutoKeyKind } from "../keys/ids.js";
import { FieldDef, makeSpec, type OptionTable } from "./field.js";

/** Options of `AutoKeyField()`. */
export interface AutoKeyFieldOptions {
  /**
   * What to generate: "uuid" (default; Popoto's "uuid4"), 32 random lowercase hex characters;
   * "ulid", 26 characters that sort by creation time (ms); "ksuid", 27 that sort by second.
   */
  readonly kind?: AutoKeyKind | undefined;
  /** "uuid" only: number of hex characters to keep (1 to 32; default 32). */
  readonly length?: number | undefined;
  readonly null?: false | undefined;
}

const AUTO_KEY_OPTIONS = {
  kind: true,
  length: true,
  null: true,
} as const satisfies OptionTable<AutoKeyFieldOptions>;

/**
 * A unique key generated when the instance is constructed: random lowercase hex, no index set.
 * A model without any key field gets a hidden `_auto_key` of this kind.
 */
export function AutoKeyField(
  options?: AutoKeyFieldOptions,
): FieldDef<{ value: string; nullable: false; optional: true; kind: "autoKey"; type: "string" }> {
  return new FieldDef(
    makeSpec({
      kind: "autoKey",
      type: "string",
      factory: "AutoKeyField",
      accepts: AUTO_KEY_OPTIONS,
      options,
    }),
  );
}
