/**
 * Per-instance expiry: `save({ ttl })` and `instance.expire(seconds)` on a model declared
 * `expiring: true`; an instance that expires leaves no index entry behind once a query meets it.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/expiry.ts
 *
 * It takes about a second (it waits for an instance to expire) and deletes every instance of its
 * model (ExpInvite) at the end.
 */
import { connect, disconnect, getConnection, KeyField, Model, SortedField } from "../src/index.js";

/** Invites live forever unless given a ttl. */
class ExpInvite extends Model(
  "ExpInvite",
  { code: KeyField(), email: KeyField(), sent: SortedField({ type: "int" }) },
  { expiring: true },
) {}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const redis = getConnection();
  const day = new ExpInvite({ code: "day", email: "ann@example.com", sent: 1 });
  await day.save({ ttl: 86_400 });
  show("TTL of the day invite (s)", await redis.ttl(day.redisKey));
  await day.expire(3_600); // shorten it without writing a field
  show("after expire(3600)", await redis.ttl(day.redisKey));

  const keep = await ExpInvite.create({ code: "keep", email: "bob@example.com", sent: 2 });
  show("TTL of an invite given none", await redis.ttl(keep.redisKey)); // -1

  const flash = await ExpInvite.create({ code: "flash", email: "cid@example.com", sent: 3 });
  await flash.expire(1);
  await sleep(1200);
  show("the sorted index before a query", await redis.zrange("$SortF:ExpInvite:sent", 0, -1));
  show(
    "invites sent since 0",
    (await ExpInvite.query().filter({ sent__gte: 0 }).orderBy("sent")).map((i) => i.code),
  );
  show("the sorted index after", await redis.zrange("$SortF:ExpInvite:sent", 0, -1));
}

await connect();
try {
  await main();
} finally {
  await ExpInvite.deleteAll();
  await disconnect();
}
