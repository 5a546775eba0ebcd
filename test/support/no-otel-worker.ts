/**
 * Runs popoto in a process where `@opentelemetry/api` cannot be found, and prints what it saw:
 * whether the package loaded, whether the client was wrapped, and that queries and writes work.
 * Usage: tsx test/support/no-otel-worker.ts <redis url>
 */
import { register } from "node:module";

register("./no-otel-hooks.mjs", import.meta.url);

const { connect, disconnect, getConnection, KeyField, Model } = await import("../../src/index.js");
const { tracingOn } = await import("../../src/observe/tracing.js");
const loadable = await import("@opentelemetry/api").then(
  () => true,
  () => false,
);

class NoOtel extends Model("NoOtel", { name: KeyField() }) {}

await connect({ url: process.argv[2] as string });
await NoOtel.create({ name: "a" });
const count = await NoOtel.query.count();
const wrapped = Object.prototype.hasOwnProperty.call(getConnection(), "sendCommand");
const traced = tracingOn();
await NoOtel.deleteAll();
await disconnect();
console.log(JSON.stringify({ loadable, traced, wrapped, count }));
