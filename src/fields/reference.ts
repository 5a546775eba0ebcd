import { QueryError } from "../errors.js";
import { lookupModel, type Models } from "../model/registry.js";

/**
 * The model name a Reference takes: any name until models are registered in `interface Models`,
 * then only their names, so a misspelt name is a compile error.
 */
export type ReferenceModelName = [keyof Models] extends [never] ? string : keyof Models & string;

/** What a Reference needs from its target model class. */
interface LoadableModel {
  readonly modelName: string;
  load(key: string): Promise<unknown>;
}

/**
 * A related instance known by its key only: what a relationship holds after loading, until it is
 * loaded. `await book.author?.load()` works on a Reference and on an instance alike.
 * @example const tolkien = await book.author?.load() // HGETALL Author:Tolkien
 */
export class Reference<TInstance = unknown> {
  /** The related instance's key, e.g. `Author:Tolkien`. */
  readonly redisKey: string;
  /** The related model's name. */
  readonly modelName: string;

  /**
   * @param model The target model: its class (`Person`), or its name once models are registered
   *   in `interface Models` (then a name that is not registered does not compile).
   * @example m.person = new Reference(Person, "Person:Bob")
   */
  constructor(model: ReferenceModelName | { readonly modelName: string }, redisKey: string) {
    this.modelName = typeof model === "string" ? model : model.modelName;
    this.redisKey = redisKey;
  }

  /** Loads the related instance (one HGETALL); null when it does not exist (deleted, or never saved). */
  async load(): Promise<TInstance | null> {
    const target = lookupModel(this.modelName) as LoadableModel | undefined;
    if (!target)
      throw new QueryError(
        this.modelName,
        `cannot load ${this.redisKey}: no model named ${this.modelName} is defined in this process.`,
      );
    return (await target.load(this.redisKey)) as TInstance | null;
  }

  toString(): string {
    return this.redisKey;
  }

  toJSON(): string {
    return this.redisKey;
  }
}
