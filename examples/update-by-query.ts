/**
 * query.update(values): one field changed on every match, each instance written atomically with
 * its index entries, in batches; the values validated before anything is written.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/update-by-query.ts
 *
 * Deletes every instance of its model (UpdTicket) at the end.
 */
import {
  connect,
  disconnect,
  getConnection,
  IndexedField,
  isPopotoError,
  KeyField,
  Model,
  SortedField,
} from "../src/index.js";

class UpdTicket extends Model("UpdTicket", {
  id: KeyField(),
  queue: IndexedField(),
  priority: SortedField({ type: "int" }),
}) {}

async function main(): Promise<void> {
  for (let i = 0; i < 9; i++)
    await UpdTicket.create({ id: `t${i}`, queue: i < 6 ? "triage" : "support", priority: i % 3 });

  // Everything urgent waiting in triage moves to the support queue, at top priority.
  const moved = await UpdTicket.query
    .filter({ queue: "triage", priority__gte: 1 })
    .update(
      { queue: "support", priority: 9 },
      { batchSize: 2, onProgress: (d, t) => console.log(`  ${d}/${t}`) },
    );
  console.log("moved:", moved);
  console.log("by queue:", await UpdTicket.query.countBy("queue"));
  // The index sets moved with the values.
  console.log(
    "$IndexF:UpdTicket:queue:triage",
    (await getConnection().smembers("$IndexF:UpdTicket:queue:triage")).sort(),
  );

  try {
    await UpdTicket.query.update({ priority: 2.5 }); // not an int
  } catch (error) {
    if (!isPopotoError(error, "VALIDATION")) throw error;
    console.log("refused before writing:", error.message.split("\n")[1]);
  }
}

await connect();
try {
  await main();
} finally {
  await UpdTicket.deleteAll();
  await disconnect();
}
