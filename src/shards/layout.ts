/**
 * What this process knows of each sharded model's layout (`$Shards:…`, docs/storage.md §7a
 * "Resharding"), per connection. A connection reads the record once, at its first use of the
 * model (recording the declared count when there is none: layout.lua), and again only when Redis
 * says the layout moved: a write's `$Retired` guard fails, or a read finds its bucket retired.
 * Unsharded models never come here, so their reads and writes cost nothing more.
 */
import { wrapRedisError } from "../connection/connection.js";
import { currentClient, getConnection, type RedisClient } from "../connection/current.js";
import { declaredModel, layoutRecordKey } from "../keys/keys.js";
import { noteLayoutCount } from "../keys/shards.js";
import type { ModelMeta } from "../model/meta.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { isMoving, parseLayout, type Layout } from "./layout-record.js";

export type { Layout } from "./layout-record.js";

const known = new WeakMap<RedisClient, WeakMap<ModelMeta, Layout>>();
const reading = new WeakMap<RedisClient, WeakMap<ModelMeta, Promise<Layout>>>();
const warned = new Set<string>();

const tableOf = <T>(tables: WeakMap<RedisClient, WeakMap<ModelMeta, T>>): WeakMap<ModelMeta, T> => {
  const client = getConnection();
  let models = tables.get(client);
  if (!models) tables.set(client, (models = new WeakMap()));
  return models;
};

/** The layout this connection last read for the model (any view of it), if it read one. */
export const cachedLayout = (meta: ModelMeta): Layout | undefined => tableOf(known).get(declaredModel(meta));

/**
 * Forgets every layout this connection read (test support: a test database emptied between tests
 * takes the records with it; an application never needs it, Redis tells it when a layout moves).
 */
export function forgetLayouts(): void {
  const client = currentClient();
  if (client) known.delete(client);
}

/** The model's layout: from memory, else one round trip (shared by the calls made meanwhile). */
export function layoutOf(meta: ModelMeta): Promise<Layout> {
  const cached = cachedLayout(meta);
  return cached ? Promise.resolve(cached) : refreshLayout(meta);
}

/** Reads the model's layout record again (after Redis said it moved) and remembers it. */
export function refreshLayout(meta: ModelMeta): Promise<Layout> {
  const declared = declaredModel(meta);
  const pending = tableOf(reading);
  const running = pending.get(declared);
  if (running) return running;
  const read = readLayout(declared).finally(() => pending.delete(declared));
  pending.set(declared, read);
  return read;
}

const text = (reply: ScriptReply | undefined): string =>
  Buffer.isBuffer(reply) ? reply.toString("utf8") : String(reply);

async function readLayout(declared: ModelMeta): Promise<Layout> {
  const key = layoutRecordKey(declared);
  let reply: ScriptReply;
  try {
    reply = await runScript(getConnection(), scripts.layout, [key], [String(declared.shards)]);
  } catch (error) {
    throw wrapRedisError(error, [key]);
  }
  const flat = Array.isArray(reply) ? reply.map(text) : [];
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string;
  const layout = parseLayout(hash, declared.shards);
  noteLayoutCount(declared.name, layout.count);
  if (isMoving(layout)) noteLayoutCount(declared.name, layout.to);
  else if (layout.count !== declared.shards) warnMismatch(declared, layout.count, key);
  tableOf(known).set(declared, layout);
  return layout;
}

function warnMismatch(declared: ModelMeta, stored: number, key: string): void {
  if (warned.has(declared.name)) return;
  warned.add(declared.name);
  process.emitWarning(
    `${declared.name} is declared with shards: ${declared.shards}, but its instances are laid out in ${stored} ` +
      `buckets (${key}); popoto uses the stored layout. To move them, run ` +
      `\`npx popoto reshard ${declared.name} --shards ${declared.shards}\`; else declare shards: ${stored}.`,
    { code: "POPOTO_SHARDS_MISMATCH" },
  );
}
