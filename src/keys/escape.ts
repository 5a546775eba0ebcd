/**
 * Key part escaping (storage spec §1), the same as Popoto's `DB_key.clean` / `DB_key.unclean`.
 *
 * Parts are joined with `:`, so a `:` inside a value must not appear raw. Popoto also escapes the
 * characters that mean something in a Redis glob pattern, so a value can be put into a
 * `SCAN MATCH` / `KEYS` pattern without matching other keys.
 */

/** What a `:` inside a value becomes. */
const COLON_ESCAPE = "{&#58;}";

/** Characters prefixed with `/`: the escape character itself and the Redis glob characters. */
const SLASH_ESCAPED = /[/'?*^[\]-]/g;

/** Anything `escapePart` would change; most parts have none and are returned as they are. */
const NEEDS_ESCAPE = /[/'?*^[\]\-:]|\{&#58;\}/;

/** Characters that may follow a `/` in escaped text (`{` fronts an escaped literal `{&#58;}`). */
const ESCAPABLE = new Set(["/", "'", "?", "*", "^", "[", "]", "-", "{"]);

/**
 * Escapes one key part. The steps run in Popoto's order: `/` doubled and glob characters prefixed
 * with `/` first, then a literal `{&#58;}` in the value prefixed with `/` (so it cannot be read
 * back as an escaped colon), then `:` replaced by `{&#58;}`. `{&#58;}` contains no character of
 * the first steps, so the literal gets exactly one `/`: the value `{&#58;}` becomes `/{&#58;}`.
 */
export const escapePart = (value: string): string => {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value
    .replace(SLASH_ESCAPED, "/$&")
    .replaceAll(COLON_ESCAPE, `/${COLON_ESCAPE}`)
    .replaceAll(":", COLON_ESCAPE);
};

/**
 * The inverse of `escapePart`, as one left-to-right scan like Popoto's `unclean`: `/` followed by
 * an escapable character gives that character (`/{` gives `{`, which is how `/{&#58;}` comes
 * back as the literal text), `{&#58;}` gives `:`, anything else is kept. A `/` before any other
 * character is kept as it is, as Popoto does, so text that was never escaped is not altered.
 */
export const unescapePart = (part: string): string => {
  if (!part.includes("/") && !part.includes(COLON_ESCAPE)) return part;
  let out = "";
  let i = 0;
  while (i < part.length) {
    const char = part.charAt(i);
    const next = part.charAt(i + 1);
    if (char === "/" && ESCAPABLE.has(next)) {
      out += next;
      i += 2;
    } else if (char === "{" && part.startsWith(COLON_ESCAPE, i)) {
      out += ":";
      i += COLON_ESCAPE.length;
    } else {
      out += char;
      i += 1;
    }
  }
  return out;
};

/** Joins already escaped parts into a key. */
export const joinKey = (parts: readonly string[]): string => parts.join(":");

/**
 * Splits a key into its raw (still escaped) parts. Escaped parts never hold a raw `:`, so the
 * split is exact; a part that is itself a key (a related instance's key in a relationship set's
 * name) comes back as several parts.
 */
export const splitKey = (key: string): string[] => key.split(":");

/**
 * True when `part` is spelled as `escapePart` writes it: `new/-york` is, `new-york` is not (no
 * stored key holds a raw `-`, `/`, `:` or glob character in a value).
 */
export const isEscapedPart = (part: string): boolean => escapePart(unescapePart(part)) === part;
