/** `AutoKeyField()`: a generated key (also the hidden `_auto_key` of a model without key fields). */
import { FieldDef, makeSpec, type OptionTable } from "./field.js";

/** Options of `AutoKeyField()`. */
export interface AutoKeyFieldOptions {
  /** Number of lowercase hex characters to keep from a random UUID (1 to 32; default 32). */
  readonly length?: number | undefined;
  readonly null?: false | undefined;
}

const AUTO_KEY_OPTIONS = { length: true, null: true } as const satisfies OptionTable<AutoKeyFieldOptions>;

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
