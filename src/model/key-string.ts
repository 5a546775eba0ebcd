import { ValidationError } from "../errors.js";
import { isEscapedPart, splitKey, unescapePart } from "../keys/escape.js";
import { inLayout, isKeyOfModel, keyPrefixOf } from "../keys/keys.js";
import type { ModelMeta } from "./meta.js";

/**
 * The instance key an instance-key string given to `load()` or `exists()` names: the string in
 * the connected layout, or undefined when it is another model's key (which names no instance of
 * this one). A string of this model that no stored key can match (a value written unescaped,
 * `City:new-york` for the stored `City:new/-york`, or the wrong number of parts) is a
 * ValidationError that shows the call by key-field values, which needs no escaping.
 */
export function instanceKeyOf(meta: ModelMeta, given: string, call: string): string | undefined {
  const key = inLayout(meta, given);
  if (!isKeyOfModel(meta.name, key)) return undefined;
  const prefix = keyPrefixOf(meta.name, key);
  const parts = splitKey(key.slice(prefix.length));
  const bad = parts.find((part) => !isEscapedPart(part));
  if (parts.length === meta.keyFields.length && bad === undefined) return key;
  const byValues =
    parts.length === meta.keyFields.length
      ? meta.keyFields
          .map((field, i) => `${field}: ${JSON.stringify(unescapePart(parts[i] ?? ""))}`)
          .join(", ")
      : meta.keyFields.map((field) => `${field}: …`).join(", ");
  const why =
    bad !== undefined
      ? `${JSON.stringify(bad)} is not a key part as popoto stores it (values are escaped in keys: ` +
        `"-", "/", ":" and glob characters), so ${JSON.stringify(given)} names no instance`
      : `${meta.name} keys have ${meta.keyFields.length} part${meta.keyFields.length === 1 ? "" : "s"} after ` +
        `"${prefix}" (${meta.keyFields.join(", ")}), and ${JSON.stringify(given)} has ${parts.length}`;
  const message =
    `${why}. Pass the key-field values instead, and popoto escapes them: ` +
    `${meta.name}.${call}({ ${byValues} }); or pass an instance's redisKey as it is`;
  throw new ValidationError(
    meta.name,
    [
      {
        field: "(key)",
        expected: `an instance key of ${meta.name} as stored, or an object of its key fields`,
        received: `string ${JSON.stringify(given)}`,
        message,
      },
    ],
    call === "load" ? "loaded" : "looked up",
  );
}
