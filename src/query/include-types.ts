/**
 * What `include()` accepts and what it gives back, as types: relationship paths checked through
 * the target models' fields, and results whose included relationships hold loaded instances
 * (`Author | null`, `Tag[]`) instead of `Author | Reference<Author> | null`. Type-only.
 */
import type { TargetInstance } from "../fields/relationship.js";
import type { Models } from "../model/registry.js";
import type { ConfigOf, Fields } from "../model/value-types.js";

/** Names of a model's relationship fields. */
export type RelationshipName<TFields extends Fields> = {
  [K in keyof TFields & string]: ConfigOf<TFields[K]>["kind"] extends "relationship" ? K : never;
}[keyof TFields & string];

/** The class a relationship target names (never for a name not registered in `Models`). */
type TargetClass<TTarget> = TTarget extends string
  ? TTarget extends keyof Models
    ? Models[TTarget]
    : never
  : TTarget extends abstract new (...args: never) => unknown
    ? TTarget
    : TTarget extends () => infer TClass
      ? TClass
      : never;

/** The field definitions of a relationship target (never when the compiler cannot know them). */
type TargetFields<TTarget> = [TargetClass<TTarget>] extends [never]
  ? never
  : TargetClass<TTarget> extends { readonly "~fields"?: infer F extends Fields }
    ? F
    : never;

type TargetOf<TField> = ConfigOf<TField> extends { readonly target: infer T } ? T : never;

/** How many more hops a path is checked through; deeper hops take any name. */
type Hops = [never, 0, 1, 2, 3, 4];

/**
 * A relationship to include, or a dotted path through relationships (`"author.publisher"`),
 * each hop checked against its target's fields (five hops deep; a target named by a string not
 * registered in `Models` takes any path after it).
 */
export type IncludePath<TFields extends Fields, THops extends number = 5> = {
  [K in RelationshipName<TFields>]:
    | K
    | ([THops] extends [never]
        ? `${K}.${string}`
        : [TargetFields<TargetOf<TFields[K]>>] extends [never]
          ? `${K}.${string}`
          : `${K}.${IncludePath<TargetFields<TargetOf<TFields[K]>>, Hops[THops]>}`);
}[RelationshipName<TFields>];

/** `"author"` of `"author.publisher"`. */
type Head<TPath> = TPath extends `${infer H}.${string}` ? H : TPath;
/** `"publisher"` of `"author.publisher"` for head `"author"`; never for `"author"` itself. */
type Tail<TPath, THead extends string> = TPath extends `${THead}.${infer R}` ? R : never;

/** A loaded target: its instance, with the rest of the paths included in it too. */
type Loaded<TTarget, TRest extends string> = [TRest] extends [never]
  ? TargetInstance<TTarget>
  : [TargetFields<TTarget>] extends [never]
    ? TargetInstance<TTarget>
    : Included<TargetInstance<TTarget>, TargetFields<TTarget>, TRest>;

/**
 * An included relationship's value: the loaded instance, or null when none is set or its target
 * is gone (deleted, expired); for `many: true`, the loaded instances (gone targets left out).
 */
type LoadedValue<TField, TRest extends string> =
  ConfigOf<TField> extends { readonly many: true }
    ? Loaded<TargetOf<TField>, TRest>[]
    : Loaded<TargetOf<TField>, TRest> | null;

/**
 * `TInstance` after `include(...paths)`: each included relationship holds loaded instances.
 * @example Included<Book, FieldsOf<typeof Book>, "author"> // Book with author: Author | null
 */
export type Included<TInstance, TFields extends Fields, TPaths extends string> = Omit<
  TInstance,
  Head<TPaths>
> & {
  -readonly [K in Head<TPaths> & keyof TFields & string]: LoadedValue<TFields[K], Tail<TPaths, K>>;
};
