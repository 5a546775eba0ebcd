/**
 * Test support for running one test body on both layouts. On a cluster popoto writes each
 * model's name as a hash tag (`{Book}:Dune`, `$KeyF:{Book}:title:Dune`) so all of a model's keys
 * share a slot. Tests spell keys the standalone way; `translatingClient` wraps the raw Cluster
 * client so the key names a test sends get the tags of the models it defined, and the names in
 * replies lose them again. Bytes (Buffers: msgpack values) pass untouched. The cluster layout
 * itself is asserted, spelled out, in test/cluster/layout.test.ts.
 */
import type { Cluster } from "ioredis";
import { lookupModel } from "../../src/model/registry.js";

/**
 * `Book:Dune` → `{Book}:Dune`, `$Class:Book` → `$Class:{Book}`, for names of defined models; also
 * after the NULs of a lex-index member (`Dune\0\0Book:Dune`).
 */
export const toClusterKey = (text: string): string =>
  text.replace(/(^|:|\0)([A-Za-z_][\w]*)(?=:|$)/g, (match, before: string, name: string) =>
    lookupModel(name) === undefined ? match : `${before}{${name}}`,
  );

/**
 * The reverse: `{Book}:Dune` → `Book:Dune`, in keys and in messages naming them; the model need
 * not be defined here (a worker process may have written it). A tag is a whole part that starts
 * a key (after the start, a `:` or NULs) or is followed by a `:` (`… {Row}:r2 holds …` in a
 * message); a value's braces elsewhere stay (`café {x} 東京` is a value, not a tag). A related key
 * escaped as one partition part (`{Publisher}{&#58;}Penguin`) stays tagged: its standalone
 * spelling is also that of a key value (`Publisher:Penguin` escaped), so it cannot be told apart.
 */
export const fromClusterKey = (text: string): string =>
  text.replace(/\{([A-Za-z_]\w*)\}/g, (match, name: string, offset: number) => {
    const before = offset === 0 ? "" : (text[offset - 1] as string);
    const after = text.slice(offset + match.length);
    const startsPart = before === "" || before === ":" || before === "\0";
    const endsPart = after === "" || after.startsWith(":");
    return (startsPart && (endsPart || !/^[\w{]/.test(after))) || (endsPart && !/[\w/{]/.test(before))
      ? name
      : match;
  });

const mapArg = (arg: unknown): unknown =>
  typeof arg === "string" ? toClusterKey(arg) : Array.isArray(arg) ? arg.map(mapArg) : arg;

const mapReply = (reply: unknown): unknown => {
  if (typeof reply === "string") return fromClusterKey(reply);
  if (Array.isArray(reply)) return reply.map(mapReply);
  if (reply !== null && typeof reply === "object" && !Buffer.isBuffer(reply) && !(reply instanceof Error))
    return Object.fromEntries(Object.entries(reply).map(([k, v]) => [fromClusterKey(k), mapReply(v)]));
  return reply;
};

/** Methods whose result is a client structure, not a reply: passed through untouched. */
const PASS_THROUGH = new Set(["nodes", "on", "once", "off", "disconnect", "quit", "duplicate"]);

/** Wraps a command-sending object (the Cluster, or one of its pipelines) so keys are translated. */
function translating<T extends object>(target: T): T {
  const proxy: T = new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== "function" || typeof property !== "string" || PASS_THROUGH.has(property))
        return typeof value === "function" ? value.bind(object) : value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(object, args.map(mapArg));
        if (result === object) return proxy; // chained pipeline commands
        if (result instanceof Promise) return result.then(mapReply);
        if (property === "pipeline" || property === "multi") return translating(result as object);
        return result;
      };
    },
  });
  return proxy;
}

/**
 * Commands about the whole database, which a Cluster would send to one node picked at random:
 * answered over every master instead, as a standalone server answers them for its database.
 */
const wholeDatabase = (client: Cluster): Record<string, () => Promise<unknown>> => ({
  dbsize: async () =>
    (await Promise.all(client.nodes("master").map((node) => node.dbsize()))).reduce((a, b) => a + b, 0),
  flushdb: async () => {
    await Promise.all(client.nodes("master").map((node) => node.flushdb()));
    return "OK";
  },
});

/** The raw Cluster client, translating key names between the standalone and the cluster layout. */
export const translatingClient = (client: Cluster): Cluster => {
  const overrides = wholeDatabase(client);
  return new Proxy(translating(client), {
    get: (target, property, receiver) =>
      typeof property === "string" && property in overrides
        ? overrides[property]
        : Reflect.get(target, property, receiver),
  });
};
