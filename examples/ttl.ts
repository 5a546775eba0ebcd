/**
 * The `ttl` model option: every save sets EXPIRE on the instance's hash; expired instances never
 * appear in results or counts, and the index entries they leave behind are removed when a query
 * meets them.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/ttl.ts
 *
 * It takes about two seconds (it waits for an instance to expire) and deletes every instance of
 * its models (TtlSession, TtlToken) at the end.
 */
import { connect, disconnect, getConnection, KeyField, Model, SortedField } from "../src/index.js";

/** Sessions live an hour after their last save. */
class TtlSession extends Model(
  "TtlSession",
  { id: KeyField(), user: KeyField(), hits: SortedField({ type: "int" }) },
  { ttl: 3600 },
) {}

/** Tokens live one second, so the example can watch one expire. */
class TtlToken extends Model("TtlToken", { code: KeyField(), user: KeyField() }, { ttl: 1 }) {}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const redis = getConnection(); // the ioredis client connect() opened

  const session = await TtlSession.create({ id: "s1", user: "ann", hits: 1 });
  await redis.expire(session.redisKey, 10); // pretend most of the hour has passed
  show("TTL before save (s)", await redis.ttl(session.redisKey));
  session.hits += 1;
  await session.save(); // every save sets EXPIRE again
  show("TTL after save (s)", await redis.ttl(session.redisKey));

  await TtlToken.create({ code: "a1", user: "ann" });
  await TtlToken.create({ code: "b2", user: "bob" });
  show(
    "tokens now",
    (await TtlToken.query().orderBy("code")).map((t) => t.code),
  );

  await sleep(1200); // a1 and b2 expire
  await TtlToken.create({ code: "c3", user: "cid" });
  // Index sets have no expiry: until a query meets them, they still list the expired tokens.
  show("ann's index set before querying", await redis.smembers("$KeyF:TtlToken:user:ann"));
  show(
    "tokens 1.2 s later",
    (await TtlToken.query().orderBy("code")).map((t) => t.code),
  );
  show("count({ user: 'ann' })", await TtlToken.query().count({ user: "ann" }));
  show("ann's index set after", await redis.smembers("$KeyF:TtlToken:user:ann"));
}

await connect();
try {
  await main();
} finally {
  for (const model of [TtlSession, TtlToken]) await model.deleteAll();
  await disconnect();
}
