/**
 * IndexedField and UniqueField (Popoto 1.x): filterable fields that are not part of the instance
 * key, so changing them never moves the instance; UniqueField and UniqueKeyField values are
 * enforced inside the write script.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/indexed-and-unique.ts
 *
 * It deletes every instance of its models (IxTeam, IxUser) at the end.
 */
import {
  AutoKeyField,
  connect,
  disconnect,
  IndexedField,
  KeyField,
  Model,
  Relationship,
  UniqueField,
  UniqueKeyField,
  UniqueViolationError,
} from "../src/index.js";

class IxTeam extends Model("IxTeam", {
  name: UniqueKeyField(),
  league: KeyField(),
  city: IndexedField(),
}) {}

class IxUser extends Model("IxUser", {
  id: AutoKeyField({ length: 8 }),
  email: UniqueField(),
  handle: UniqueField({ null: true }),
  status: IndexedField({ default: "active" }),
  level: IndexedField({ type: "int", default: 1 }),
  team: Relationship(IxTeam),
}) {}

declare module "../src/index.js" {
  interface Models {
    IxTeam: typeof IxTeam;
    IxUser: typeof IxUser;
  }
}

const show = (title: string, value: unknown): void => console.log(`${title}:`, value);
const emails = (users: readonly IxUser[]): string[] => users.map((u) => u.email).sort();

async function main(): Promise<void> {
  const red = await IxTeam.create({ name: "Red", league: "A", city: "Lyon" });
  const blue = await IxTeam.create({ name: "Blue", league: "A", city: "Leeds" });
  const ann = await IxUser.create({ email: "ann@example.com", handle: "ann", team: red, level: 3 });
  await IxUser.create({ email: "bob@example.com", team: red });
  await IxUser.create({ email: "cid@example.com", handle: "cid", team: blue, status: "away", level: 2 });

  show("status: 'active'", emails(await IxUser.query().filter({ status: "active" })));
  show("level__in: [2, 3]", emails(await IxUser.query().filter({ level__in: [2, 3] })));
  show("handle__isnull: true", emails(await IxUser.query().filter({ handle__isnull: true })));
  show("email__endswith: '@example.com'", await IxUser.query().count({ email__endswith: "@example.com" }));
  show("team__city__startswith: 'Le'", emails(await IxUser.query().filter({ team__city__startswith: "Le" })));

  // Changing an indexed field updates its index; the instance key stays the same.
  const key = ann.redisKey;
  ann.status = "away";
  await ann.save();
  show("ann's key unchanged", ann.redisKey === key);
  show("status: 'away' after the change", emails(await IxUser.query().filter({ status: "away" })));

  // get() by a unique field: one instance or null.
  show("get({ email: 'cid@example.com' })", (await IxUser.query().get({ email: "cid@example.com" }))?.handle);

  // A duplicate unique value throws and writes nothing.
  try {
    await IxUser.create({ email: "ann@example.com", team: blue });
  } catch (error) {
    if (!(error instanceof UniqueViolationError)) throw error;
    show("a second ann@example.com", `${error.code}: ${error.message}`);
  }
  // A UniqueKeyField is part of the key: the same key saved again is the same instance (create()
  // replaces it), so the violation is another key holding the value, here a Red team in league B.
  try {
    await IxTeam.create({ name: "Red", league: "B", city: "Paris" });
  } catch (error) {
    if (!(error instanceof UniqueViolationError)) throw error;
    show("a second team Red (UniqueKeyField)", `${error.code}: ${error.message}`);
  }
  // null is not a value: several users may have no handle.
  await IxUser.create({ email: "dee@example.com", handle: null, team: blue });
  show("users without a handle", await IxUser.query().count({ handle: null }));
  show("users in all", await IxUser.query().count());
}

await connect();
try {
  await main();
} finally {
  for (const model of [IxUser, IxTeam]) await model.deleteAll();
  await disconnect();
}
