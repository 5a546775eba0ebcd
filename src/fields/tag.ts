/** `TagField()`: a set of strings per instance, indexed per tag (Popoto 1.x TagField). */
import { FieldDef, makeSpec, type OptionTable } from "./field.js";

/** Options of `TagField()`. */
export interface TagFieldOptions {
  /** Tags of a new instance: an array, or a function called for each new instance. `[]` when left out. */
  readonly default?: readonly string[] | (() => readonly string[]) | undefined;
}

const TAG_FIELD_OPTIONS = {
  default: true,
} as const satisfies OptionTable<TagFieldOptions>;

/**
 * The config of a tag field: it holds the tags as a sorted array without duplicates (the form
 * Popoto stores), accepts any array or Set of strings, and is never null (no tags is `[]`).
 */
export interface TagConfig {
  readonly value: string[];
  readonly input: readonly string[] | ReadonlySet<string>;
  readonly nullable: false;
  readonly optional: true;
  readonly kind: "tag";
  readonly type: "list";
}

/**
 * Tags: strings, stored in the hash as Popoto 1.x stores them (a msgpack array, sorted by code
 * point, without duplicates), each indexed in `$TagF:Model:field:<tag>` with the instance's
 * `$TagPtr` pointer set beside them. Filter with `tags__contains: "sf"`, `tags__any: [...]` (at
 * least one of) and `tags__all: [...]` (every one of).
 * @example tags: TagField() // SADD $TagF:Book:tags:sf Book:Dune
 */
export function TagField(options?: TagFieldOptions): FieldDef<TagConfig> {
  const given = options ?? {};
  const fallback = given.default;
  return new FieldDef(
    makeSpec({
      kind: "tag",
      type: "list",
      factory: "TagField",
      accepts: TAG_FIELD_OPTIONS,
      // Without a default an instance starts with no tags; a new array each time, never shared.
      options: fallback === undefined ? { ...given, default: () => [] } : given,
    }),
  );
}

/**
 * Tags in Popoto's stored form: unique, sorted as Python's `sorted()` orders str, by code point.
 * UTF-8 bytes compare in code-point order; JavaScript's `<` compares UTF-16 units, which differs
 * around astral characters.
 */
export const normalizeTags = (tags: Iterable<string>): string[] =>
  [...new Set(tags)].sort((a, b) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
