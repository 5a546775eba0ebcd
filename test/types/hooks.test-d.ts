/**
 * Lifecycle hooks are methods a model class overrides: sync or async, no arguments, returning
 * nothing. Other shapes do not compile, and every instance (and query result) has all four.
 */
import { describe, expectTypeOf, test } from "vitest";
import { Field, KeyField, Model, type InstanceMembers } from "../../src/index.js";

class Post extends Model("HooksPost", { slug: KeyField(), title: Field() }) {
  override async preSave(): Promise<void> {
    this.title = this.title.trim();
  }

  override postSave(): void {
    // sync is fine too
  }

  override async preDelete(): Promise<void> {
    await Promise.resolve();
  }

  override postDelete(): void {
    console.log(`deleted ${this.slug}`);
  }
}

describe("lifecycle hooks", () => {
  test("every instance has the four hooks, returning void or a promise of it", () => {
    expectTypeOf<Post["preSave"]>().toEqualTypeOf<() => Promise<void>>();
    type Hook = () => void | Promise<void>;
    expectTypeOf<InstanceMembers["postSave"]>().toEqualTypeOf<Hook>();
    expectTypeOf<InstanceMembers["preDelete"]>().toEqualTypeOf<Hook>();
    expectTypeOf<InstanceMembers["postDelete"]>().toEqualTypeOf<Hook>();
    expectTypeOf<Post>().toHaveProperty("postDelete");
  });

  test("a hook that takes an argument or returns a value does not compile", () => {
    class TakesArgument extends Model("HooksArg", { slug: KeyField() }) {
      // @ts-expect-error: hooks are called without arguments
      override preSave(reason: string): void {
        console.log(reason);
      }
    }
    class ReturnsValue extends Model("HooksValue", { slug: KeyField() }) {
      // @ts-expect-error: a hook's result is ignored, so returning one is a mistake
      override postSave(): number {
        return 1;
      }
    }
    class ReturnsPromisedValue extends Model("HooksPromised", { slug: KeyField() }) {
      // @ts-expect-error: an async hook resolves to nothing
      override async postDelete(): Promise<string> {
        return "done";
      }
    }
    class Misspelled extends Model("HooksTypo", { slug: KeyField() }) {
      // @ts-expect-error: override checks the name: there is no postsave hook
      override postsave(): void {
        console.log(this.slug);
      }
    }
    expectTypeOf([TakesArgument, ReturnsValue, ReturnsPromisedValue, Misspelled]).not.toBeAny();
  });
});
