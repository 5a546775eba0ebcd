/**
 * The field names of Popoto 1.x's `$Index:Model:a:b` hashes (docs/storage.md §5, "Composite
 * indexes"). Popoto 1.x keeps each unique composite index (`Meta.indexes`) as a hash from a digest
 * of the instance's values to its key, and checks uniqueness by reading it (`ModelOptions.
 * compute_index_hash`): `sha256(":".join(canonical_key_str(v) for v in values)).hexdigest()[:16]`,
 * and no entry at all when a value is None. popoto writes the same entries, so a Python writer's
 * uniqueness check sees the combinations popoto holds.
 */
import { createHash } from "node:crypto";
import type { KeyType } from "../fields/field-type.js";
import { toKeyPart } from "./parts.js";

/**
 * Python's `str()` of a field value as Popoto 1.x hashes it (`canonical_key_str`): the key-part
 * text of docs/storage.md §2, before escaping. `str` itself; an int's digits; a float's `repr`
 * (`1.0`, `1e+16`, `1e-05`); `True` / `False`; `str(Decimal)` (`1.10`, `1E-7`); a date's
 * `YYYY-MM-DD`; a datetime as the UTC instant `YYYY-MM-DDTHH:MM:SS.ffffffZ` (canonical_key_str,
 * Popoto ≥ 1.8.2, whose plain `str(datetime)` would give a space and an offset); a time's
 * `HH:MM:SS[.ffffff]`. A relationship is `str(instance)`: the related instance's key, as stored.
 * Undefined for null: Popoto writes no entry for a combination holding None.
 */
export const pythonStr = (type: KeyType | "relationship", value: unknown): string | undefined => {
  if (value === null || value === undefined) return undefined;
  if (type === "relationship") {
    if (typeof value !== "string") throw new TypeError(`cannot render ${typeof value} as a related key`);
    return value;
  }
  return toKeyPart(type, value);
};

/** Hex characters Popoto keeps of the sha256 (INDEX_HASH_LENGTH: 64 bits). */
const DIGEST_LENGTH = 16;

/**
 * The `$Index` hash field of a combination: the first 16 hex digits of the sha256 of the values'
 * `pythonStr` texts joined with `:` (UTF-8), as Popoto 1.x computes it. The texts are not escaped,
 * so `("a:b", "c")` and `("a", "b:c")` share a digest, in Popoto as here.
 */
export const indexDigest = (texts: readonly string[]): string =>
  createHash("sha256").update(texts.join(":"), "utf8").digest("hex").slice(0, DIGEST_LENGTH);
