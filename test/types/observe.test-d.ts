/**
 * `connect({ onCommand, tracing })`: the command event's shape and what the listener may be.
 */
import { describe, expectTypeOf, test } from "vitest";
import { connect, type CommandEvent, type CommandListener } from "../../src/index.js";

describe("onCommand", () => {
  test("the listener receives a typed, read-only event", () => {
    void connect({
      onCommand: (event) => {
        expectTypeOf(event).toEqualTypeOf<CommandEvent>();
        expectTypeOf(event.name).toEqualTypeOf<string>();
        expectTypeOf(event.args).toEqualTypeOf<readonly string[]>();
        expectTypeOf(event.script).toEqualTypeOf<string | undefined>();
        expectTypeOf(event.durationMs).toEqualTypeOf<number>();
        expectTypeOf(event.pipeline).toEqualTypeOf<boolean>();
        expectTypeOf(event.error).toEqualTypeOf<Error | undefined>();
        // @ts-expect-error the event is read-only
        event.durationMs = 0;
      },
    });
    const log: CommandListener = (event) => console.log(event.name);
    void connect({ url: "redis://127.0.0.1:6379/0", onCommand: log, tracing: false });
  });

  test("wrong listeners and switches do not compile", () => {
    // @ts-expect-error a listener is a function
    void connect({ onCommand: "stderr" });
    // @ts-expect-error the listener takes the event, not a name and a duration
    void connect({ onCommand: (name: string, ms: number) => console.log(name, ms) });
    // @ts-expect-error tracing is a boolean
    void connect({ tracing: "otel" });
  });
});
