/**
 * `connect()` options, the connection status and the connection errors: what compiles and what
 * does not.
 */
import { describe, expectTypeOf, test } from "vitest";
import {
  CONNECTION_DEFAULTS,
  connect,
  connectionStatus,
  onConnectionStatus,
  redactSecrets,
  type ConnectionError,
  type ConnectionFailure,
  type ConnectionState,
} from "../../src/index.js";

describe("connect() options", () => {
  test("take numbers, booleans and ioredis options", () => {
    void connect({ url: "redis://h:1/0", commandTimeout: 500, maxReconnectDelay: 1000, waitForServer: true });
    void connect({ maxReconnectAttempts: 5, connectTimeout: 2000, redisOptions: { tls: {} } });
    // @ts-expect-error the deadline is a number of milliseconds
    void connect({ commandTimeout: "10s" });
    // @ts-expect-error waitForServer is a boolean
    void connect({ waitForServer: "yes" });
    // @ts-expect-error no such option
    void connect({ retries: 3 });
    expectTypeOf(CONNECTION_DEFAULTS.commandTimeout).toEqualTypeOf<10_000>();
  });
});

describe("status and errors", () => {
  test("the state is one of five names; listeners get the status", () => {
    expectTypeOf(connectionStatus().state).toEqualTypeOf<ConnectionState>();
    expectTypeOf(connectionStatus().lastError).toEqualTypeOf<ConnectionError | undefined>();
    // @ts-expect-error not a state
    const state: ConnectionState = "open";
    void state;
    const stop = onConnectionStatus((status) => {
      expectTypeOf(status.attempts).toEqualTypeOf<number>();
    });
    expectTypeOf(stop).toEqualTypeOf<() => void>();
    // @ts-expect-error listeners take the status, not an error
    onConnectionStatus((status: Error) => status);
  });

  test("reasons are a closed set; redactSecrets takes text", () => {
    expectTypeOf<"wrong-password">().toExtend<ConnectionFailure>();
    // @ts-expect-error not a reason
    const reason: ConnectionFailure = "bad-password";
    void reason;
    expectTypeOf(redactSecrets("redis://a:b@h")).toEqualTypeOf<string>();
    // @ts-expect-error text only, not a URL object
    redactSecrets(new URL("redis://a:b@h"));
  });
});
