import type { Models } from "../model/registry.js";
import { FieldDef, makeSpec, type OnDelete, type OptionTable } from "./field.js";
import type { Reference } from "./reference.js";

/** Any model class, as far as a relationship needs to know it. */
export interface ModelClassLike {
  readonly modelName: string;
}

/** How a relationship names its target: the class, a function returning it, or its name. */
export type TargetArg = ModelClassLike | (() => ModelClassLike) | (keyof Models & string) | (string & {});

type InstanceOfClass<T> = T extends abstract new (...args: never) => infer I ? I : never;

/** The instance type of a relationship's target (an unregistered name gives a minimal instance). */
export type TargetInstance<TTarget> = TTarget extends string
  ? TTarget extends keyof Models
    ? InstanceOfClass<Models[TTarget]>
    : { readonly redisKey: string }
  : TTarget extends () => infer TClass
    ? InstanceOfClass<TClass>
    : InstanceOfClass<TTarget>;

/** A relationship's value when set: the related instance, or a Reference to it. */
export type Related<TInstance> = TInstance | Reference<TInstance>;

/** Options of `Relationship()`. */
export interface RelationshipOptions {
  /** Allow null (default true, as in Popoto). `null: false` makes the relationship required. */
  readonly null?: boolean | undefined;
  /** Hold a set of targets instead of one (Popoto reserves `many`; popoto implements it). */
  readonly many?: boolean | undefined;
  /**
   * What deleting a target does to instances pointing at it: `"nothing"` (default, as Popoto:
   * they keep its key and load it as null), `"cascade"` (delete them too), `"setNull"` (clear the
   * field), or `"protect"` (refuse the delete while any exist). Each is one atomic write.
   */
  readonly onDelete?: OnDelete | undefined;
}

const RELATIONSHIP_OPTIONS = {
  null: true,
  many: true,
  onDelete: true,
} as const satisfies OptionTable<RelationshipOptions>;

type Nullable<TOptions> = TOptions extends { readonly null: false } ? false : true;
type Many<TOptions> = TOptions extends { readonly many: true } ? true : false;

/** Type config of a relationship field. */
export interface RelationshipConfig<TTarget, TOptions> {
  readonly value: Many<TOptions> extends true
    ? Related<TargetInstance<TTarget>>[]
    : Related<TargetInstance<TTarget>>;
  readonly input: Many<TOptions> extends true
    ? readonly (Related<TargetInstance<TTarget>> | string)[]
    : Related<TargetInstance<TTarget>> | string | (Nullable<TOptions> extends true ? null : never);
  readonly nullable: Many<TOptions> extends true ? false : Nullable<TOptions>;
  readonly optional: Many<TOptions> extends true ? true : Nullable<TOptions>;
  readonly kind: "relationship";
  readonly type: "string";
  readonly target: TTarget;
  readonly many: Many<TOptions>;
}

/**
 * A reference to an instance of another (or the same) model. The hash stores the related
 * instance's key; the reverse set `$RelationshipF:Model:field:<related key>` lists the instances
 * pointing at it, so "all books by Tolkien" is one SMEMBERS.
 *
 * Self and mutual references: name the target (`Relationship("Person")`); a function
 * (`() => Person`) works for targets declared earlier without a cycle.
 * @example author: Relationship(Author) // HSET Book:LOTR author "Author:Tolkien"; SADD $RelationshipF:Book:author:Author:Tolkien Book:LOTR
 */
export function Relationship<
  const TTarget extends TargetArg,
  const TOptions extends RelationshipOptions = {},
>(target: TTarget, options?: TOptions): FieldDef<RelationshipConfig<TTarget, TOptions>> {
  const spec = makeSpec({
    kind: "relationship",
    type: options?.many === true ? "list" : "string",
    factory: "Relationship",
    accepts: RELATIONSHIP_OPTIONS,
    options,
    nullable: options?.many === true ? false : options?.null !== false,
  });
  return new FieldDef<RelationshipConfig<TTarget, TOptions>>({
    ...spec,
    target,
    onDelete: options?.onDelete ?? "nothing",
    many: options?.many === true,
  });
}
