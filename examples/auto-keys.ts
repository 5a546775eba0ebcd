/**
 * AutoKeyField kinds: uuid (the default), ulid and ksuid keys; the last two sort by creation time,
 * so the class set's members, sorted as strings, list the instances oldest first.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/auto-keys.ts
 *
 * It deletes every instance of its models (AkOrder, AkEvent, AkNote) at the end.
 */
import { AutoKeyField, connect, disconnect, Field, getConnection, Model } from "../src/index.js";

class AkOrder extends Model("AkOrder", { id: AutoKeyField({ kind: "ulid" }), item: Field() }) {}
class AkEvent extends Model("AkEvent", { id: AutoKeyField({ kind: "ksuid" }), name: Field() }) {}
class AkNote extends Model("AkNote", { id: AutoKeyField({ length: 12 }), text: Field() }) {}

async function main(): Promise<void> {
  for (const item of ["tea", "cake", "jam"]) await AkOrder.create({ item });
  await AkEvent.create({ name: "signup" });
  await AkNote.create({ text: "short uuid" });

  // Sorted as strings, ULID keys come out in creation order.
  const keys = (await getConnection().smembers("$Class:AkOrder")).sort();
  for (const key of keys) console.log(key, (await AkOrder.load(key))?.item);
  console.log((await AkEvent.query.all()).map((e) => e.redisKey)); // AkEvent:<27 base62>
  console.log((await AkNote.query.all()).map((n) => n.redisKey)); // AkNote:<12 hex>
}

await connect();
try {
  await main();
} finally {
  await Promise.all([AkOrder.deleteAll(), AkEvent.deleteAll(), AkNote.deleteAll()]);
  await disconnect();
}
