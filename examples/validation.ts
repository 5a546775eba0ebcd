/**
 * Validation beyond types: `min`, `max`, `pattern`, `choices` and `validate` on fields, every
 * problem of an instance in one ValidationError before anything is written, and `Model.schema`
 * (a Standard Schema v1) validating a request body the way a web framework would.
 *
 *   REDIS_URL=redis://127.0.0.1:6379/9 npx tsx examples/validation.ts
 *
 * It deletes every instance of its model (ValEvent) at the end.
 */
import {
  connect,
  DatetimeField,
  disconnect,
  IntField,
  KeyField,
  Model,
  StringField,
  TimeField,
  ValidationError,
  type StandardSchemaV1,
} from "../src/index.js";

class ValEvent extends Model("ValEvent", {
  slug: KeyField({ pattern: /^[a-z0-9-]+$/, maxLength: 40 }),
  kind: StringField({ choices: ["talk", "workshop"] }),
  seats: IntField({ min: 1, max: 500, default: 30 }),
  starts: DatetimeField({ min: new Date("2026-01-01T00:00:00Z") }),
  doors: TimeField({ min: "08:00", max: "20:00", null: true }),
  speaker: StringField({
    null: true,
    validate: (name) => (name.trim() === name ? undefined : "has spaces around it"),
  }),
}) {}

/** What a framework does with any Standard Schema: validate the body, or answer 400 with the issues. */
function handle<TOutput>(schema: StandardSchemaV1<unknown, TOutput>, body: unknown) {
  const result = schema["~standard"].validate(body);
  return result.issues
    ? { status: 400, errors: result.issues.map((i) => `${i.path?.join(".") ?? "(body)"}: ${i.message}`) }
    : { status: 200, input: result.value };
}

async function main(): Promise<void> {
  try {
    await ValEvent.create({
      slug: "Opening Night",
      kind: "party",
      seats: 0,
      starts: new Date("2025-12-31T20:00:00Z"),
      doors: "07:30",
      speaker: " Ann ",
    });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    console.log(`${error.issues.length} problems, one error:`);
    for (const { field, value, message } of error.issues)
      console.log(`  ${field} (${JSON.stringify(value)}): ${message}`);
  }
  console.log("stored after the failed create:", await ValEvent.query.count());

  // A JSON request body: dates arrive as strings, and the schema converts them.
  const body = JSON.parse('{"slug":"ts-day","kind":"talk","starts":"2026-03-01T09:00:00Z","doors":"08:30"}');
  const response = handle(ValEvent.schema, body);
  console.log("valid body:", response);
  if (response.status === 200 && response.input) {
    const event = await ValEvent.create(response.input);
    console.log("created", event.redisKey, "with", event.seats, "seats (the default)");
  }
  console.log("bad body:", handle(ValEvent.schema, { slug: "x", kind: "talk", starts: "soon", extra: 1 }));
}

await connect();
try {
  await main();
} finally {
  await ValEvent.deleteAll();
  await disconnect();
}
