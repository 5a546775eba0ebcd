/**
 * TagField (Popoto 1.x): a set of strings per instance, each tag indexed in its own set, filtered
 * by one tag (`__contains`), any of several (`__any`) or all of them (`__all`).
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/tags.ts
 *
 * It deletes every instance of its model (TgMemory) at the end.
 */
import { AutoKeyField, connect, disconnect, getConnection, Model, TagField, Field } from "../src/index.js";

class TgMemory extends Model("TgMemory", {
  id: AutoKeyField({ length: 8 }),
  text: Field(),
  tags: TagField(),
}) {}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);
const texts = (memories: readonly TgMemory[]): string[] => memories.map((m) => m.text).sort();

async function main(): Promise<void> {
  // Scopes are metadata, not identity: a memory may have several, or none (the shared pool).
  const plan = await TgMemory.create({
    text: "plan",
    tags: ["project:popoto", "agent:valor", "project:popoto"],
  });
  await TgMemory.create({ text: "review", tags: new Set(["agent:kai", "project:popoto"]) });
  await TgMemory.create({ text: "lunch", tags: ["agent:valor"] });
  await TgMemory.create({ text: "shared" });
  show("stored tags (sorted, no duplicates)", plan.tags);

  show(
    "tags__contains: 'project:popoto'",
    texts(await TgMemory.query().filter({ tags__contains: "project:popoto" })),
  );
  show(
    "tags__any: ['agent:kai', 'agent:valor']",
    texts(await TgMemory.query().filter({ tags__any: ["agent:kai", "agent:valor"] })),
  );
  show(
    "tags__all: ['agent:valor', 'project:popoto']",
    texts(await TgMemory.query().filter({ tags__all: ["agent:valor", "project:popoto"] })),
  );

  // The index follows every change, inside the script that writes the hash.
  plan.tags = [...plan.tags.filter((t) => t !== "agent:valor"), "done"];
  await plan.save();
  show(
    "after untagging plan, agent:valor has",
    texts(await TgMemory.query().filter({ tags__contains: "agent:valor" })),
  );
  const redis = getConnection();
  show("$TagF:TgMemory:tags:done", await redis.smembers("$TagF:TgMemory:tags:done"));
  show(
    "plan's pointer set ($TagPtr, read by Python Popoto)",
    (await redis.smembers(`$TagPtr:${plan.redisKey}:tags`)).sort(),
  );
}

await connect();
try {
  await main();
} finally {
  await TgMemory.deleteAll();
  await disconnect();
}
