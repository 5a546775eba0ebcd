/**
 * Aggregates computed in Redis: sum / avg / min / max of a sorted field and countBy of an indexed
 * or key field, each one script call that returns figures, not instances.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/aggregates.ts
 *
 * Deletes every instance of its model (StatsOrder) at the end.
 */
import { connect, disconnect, IndexedField, KeyField, Model, SortedField } from "../src/index.js";

class StatsOrder extends Model("StatsOrder", {
  id: KeyField(),
  shop: KeyField(),
  status: IndexedField(),
  total: SortedField({ type: "decimal" }),
  placed: SortedField({ type: "datetime" }),
}) {}

async function main(): Promise<void> {
  const statuses = ["paid", "paid", "shipped", "refunded"] as const;
  for (let i = 0; i < 12; i++)
    await StatsOrder.create({
      id: `o${i}`,
      shop: i % 3 === 0 ? "lyon" : "paris",
      status: statuses[i % 4] ?? "paid",
      total: `${10 + i}.50`,
      placed: new Date(Date.UTC(2026, 0, 1 + i, 9, 30)),
    });

  const paid = StatsOrder.query.filter({ status: "paid" });
  console.log("paid orders:", await paid.count());
  console.log("revenue (float of the scores):", await paid.sum("total"));
  console.log("average basket:", await paid.avg("total"));
  console.log("largest order (exact decimal):", await StatsOrder.query.max("total"));
  console.log("first order in Paris:", await StatsOrder.query.filter({ shop: "paris" }).min("placed"));
  console.log("orders by status:", await StatsOrder.query.countBy("status"));
  console.log("orders by shop (from the keys):", await StatsOrder.query.countBy("shop"));
}

await connect();
try {
  await main();
} finally {
  await StatsOrder.deleteAll();
  await disconnect();
}
