/**
 * A separate process for race tests on unique values: its own popoto connection waits for tasks
 * on `race:<run>:go:<name>` (BLPOP), runs each as soon as it arrives, and pushes the outcome as
 * JSON to `race:<run>:out`. The parent pushes one task to two workers at once, so they race.
 *
 * Usage: node --import tsx test/support/unique-race-worker.ts <redis url, or cluster:<url>,<url>…> <run id> <name>
 * Tasks: {"mode":"create"|"getOrCreateByKey"|"getOrCreateByUnique","round":n} or {"mode":"exit"}.
 */
import { disconnect, Field, KeyField, Model, UniqueField } from "../../src/index.js";
import { connectWorker } from "./worker-connect.js";

const [url = "", run = "", name = ""] = process.argv.slice(2);

class Member extends Model("Member", {
  name: KeyField(),
  email: UniqueField(),
  joinedBy: Field({ null: true }),
}) {}

interface Task {
  readonly mode: "create" | "getOrCreateByKey" | "getOrCreateByUnique" | "exit";
  readonly round: number;
}

const signal = await connectWorker(url);
await signal.rpush(`race:${run}:ready`, name);
for (;;) {
  const popped = await signal.blpop(`race:${run}:go:${name}`, 30);
  if (!popped) break;
  const task = JSON.parse(popped[1]) as Task;
  if (task.mode === "exit") break;
  const r = task.round;
  let outcome: Record<string, unknown>;
  try {
    if (task.mode === "create") {
      // same unique (non-key) value, different keys
      const saved = await Member.create({ name: `${name}${r}`, email: `race${r}@x`, joinedBy: name });
      outcome = { ok: true, key: saved.redisKey };
    } else if (task.mode === "getOrCreateByKey") {
      // same key, each with its own defaults
      const [member, created] = await Member.getOrCreate(
        { name: `same${r}` },
        { email: `${name}${r}@x`, joinedBy: name },
      );
      outcome = { ok: true, key: member.redisKey, created, email: member.email, joinedBy: member.joinedBy };
    } else {
      // same unique (non-key) lookup value, different keys in the defaults
      const [member, created] = await Member.getOrCreate(
        { email: `shared${r}@x` },
        { name: `${name}-g${r}`, joinedBy: name },
      );
      outcome = { ok: true, key: member.redisKey, created, email: member.email, joinedBy: member.joinedBy };
    }
  } catch (error) {
    const e = error as { code?: string; holder?: string; message?: string; name?: string };
    outcome = { ok: false, code: e.code, holder: e.holder, error: `${e.name}: ${e.message}` };
  }
  await signal.rpush(`race:${run}:out`, JSON.stringify({ name, round: r, mode: task.mode, ...outcome }));
}
await signal.quit();
await disconnect();
