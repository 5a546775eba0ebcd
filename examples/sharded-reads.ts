/**
 * Reads of a sharded model that merge its buckets: cursor pages, aggregates and the change feed
 * (one stream per bucket). The answers are those an unsharded model would give; the feed's order
 * is per bucket (so per instance), not global.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/sharded-reads.ts
 *
 * Deletes every instance of its model (ShardedOrder) and its streams at the end.
 */
import {
  connect,
  disconnect,
  getConnection,
  IndexedField,
  KeyField,
  Model,
  SortedField,
} from "../src/index.js";

class ShardedOrder extends Model(
  "ShardedOrder",
  { id: KeyField(), shop: IndexedField(), total: SortedField({ type: "int" }) },
  { shards: 24, changes: { maxLen: 1000 } }, // 24 buckets, each with its own stream
) {}

async function main(): Promise<void> {
  for (let i = 1; i <= 12; i++)
    await ShardedOrder.create({ id: `o${i}`, shop: i % 3 ? "north" : "south", total: (i * 37) % 100 });

  // Pages: every bucket's first page + 1 after the cursor, merged; page 4 costs what page 1 does.
  let cursor: string | null = null;
  for (let page = 1; page === 1 || cursor !== null; page++) {
    const result: { items: ShardedOrder[]; next: string | null } = await ShardedOrder.query
      .orderBy("-total")
      .limit(4)
      .page(cursor);
    console.log(`page ${page}:`, result.items.map((o) => `${o.id}=${o.total}`).join(" "));
    cursor = result.next;
  }

  // Aggregates: each bucket in Redis, combined here (avg = total sum / total count).
  const north = ShardedOrder.query.filter({ shop: "north" });
  console.log(
    "north:",
    await north.count(),
    "orders, sum",
    await north.sum("total"),
    "avg",
    await north.avg("total"),
  );
  console.log("by shop:", await ShardedOrder.query.countBy("shop"));

  // The change feed: one stream per bucket; a consumer group reads them all.
  console.log(
    "feed streams:",
    ShardedOrder.changes.keys.length,
    "events:",
    await ShardedOrder.changes.length(),
  );
  const controller = new AbortController();
  let seen = 0;
  for await (const change of ShardedOrder.changes.consume({
    group: "example",
    consumer: "c1",
    blockMs: 100,
    signal: controller.signal,
  })) {
    await change.ack();
    if (++seen === 12) controller.abort();
  }
  console.log("consumed", seen, "events, acknowledged");
}

await connect();
try {
  await main();
} finally {
  await ShardedOrder.deleteAll();
  for (const key of ShardedOrder.changes.keys) await getConnection().del(key);
  await disconnect();
}
