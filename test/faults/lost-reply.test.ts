/**
 * Fault: the server runs a write, then the connection drops before the reply reaches popoto
 * (deterministically, see test/support/lost-reply.ts). ioredis reconnects and re-sends the
 * command. The write must still count once: the caller gets the result of the write it made (or a
 * ConnectionError saying the outcome is unknown), never a second application or an error claiming
 * that nothing was written. Runs against a redis-server of its own.
 */
import { encode } from "@msgpack/msgpack";
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import {
  KeyField,
  Model,
  Relationship,
  SortedField,
  StringField,
  UniqueField,
  connect,
  disconnect,
  getConnection,
  isPopotoError,
} from "../../src/index.js";
import { scripts } from "../../src/scripts/scripts.generated.js";
import { loseReplies, scriptCall, type LostReplies } from "../support/lost-reply.js";
import { usePrivateServer } from "../support/redis-server.js";

const server = usePrivateServer();
let admin: Redis;
let lose: LostReplies;

class Team extends Model("Team", { name: KeyField() }) {}
class Player extends Model("Player", {
  name: KeyField(),
  email: UniqueField(),
  team: Relationship(Team, { null: true }),
  score: SortedField({ type: "int" }),
}) {}

/** A model with a field no index holds: only the hash itself says whose instance is stored. */
class Note extends Model("Note", { id: KeyField(), text: StringField() }) {}

const writeCall = scriptCall(scripts.write);
/** Increments and relationship merges run in commute.lua. */
const commuteCall = scriptCall(scripts.commute);

beforeAll(async () => {
  admin = server.current.client();
  await connect({ url: server.current.url(), maxReconnectAttempts: 50 });
  lose = await loseReplies(server.current);
});

beforeEach(async () => {
  await admin.flushall();
  await Team.create({ name: "red" });
});

afterEach(async () => {
  // whatever happened, the data is consistent and the client works
  for (const model of [Team, Player, Note]) {
    const report = await model.checkIndexes();
    expect(report.differences).toEqual([]);
    expect(report.misplaced).toEqual([]);
  }
});

afterAll(async () => {
  lose.restore();
  await disconnect();
});

/** Runs `action` with the reply of its next write.lua call lost; returns its value or error. */
async function withLostWriteReply<T>(
  action: () => Promise<T>,
  call = writeCall,
): Promise<{ value?: T; error?: unknown }> {
  const before = lose.lost;
  lose.arm(call);
  try {
    const value = await action();
    return { value };
  } catch (error) {
    return { error };
  } finally {
    // The interception counts the loss once its busy script ends, which may be after the error.
    await vi.waitFor(() => expect(lose.lost, "the write's reply was lost").toBe(before + 1));
  }
}

/**
 * Runs `hook` just before popoto sends its second write.lua call from now: the re-send of a write
 * whose reply was lost. Returns the function that restores the client.
 */
function beforeResend(hook: () => Promise<unknown>): () => void {
  const client = getConnection() as Redis;
  const send = client.sendCommand.bind(client);
  let seen = 0;
  client.sendCommand = ((command: Parameters<Redis["sendCommand"]>[0], stream?: unknown): unknown => {
    if (writeCall(command.name.toLowerCase(), command.args) && ++seen === 2) {
      void hook().then(() => send(command, stream as never));
      return command.promise;
    }
    return send(command, stream as never);
  }) as typeof client.sendCommand;
  return () => {
    client.sendCommand = send as typeof client.sendCommand;
  };
}

const describeError = (error: unknown): string =>
  error === undefined ? "no error" : `${(error as Error).name}: ${(error as Error).message}`;

describe("a write whose reply was lost", () => {
  it("create(): applied once, resolves", async () => {
    const { value, error } = await withLostWriteReply(() =>
      Player.create({ name: "ann", email: "ann@x", team: "Team:red", score: 1 }),
    );
    expect(describeError(error)).toBe("no error");
    expect(value?.redisKey).toBe("Player:ann");
    expect((await Player.load({ name: "ann" }))?.toJSON()).toEqual({
      name: "ann",
      email: "ann@x",
      team: "Team:red",
      score: 1,
    });
  });

  it("create() of a model with a field no index holds: applied once, resolves", async () => {
    const { value, error } = await withLostWriteReply(() => Note.create({ id: "n1", text: "mine" }));
    expect(describeError(error)).toBe("no error");
    expect(value?.redisKey).toBe("Note:n1");
    expect((await Note.load({ id: "n1" }))?.text).toBe("mine");
  });

  it("create() whose re-send finds another writer's instance (same key and indexes, other bytes): KEY_CONFLICT, theirs kept", async () => {
    // Before the re-send, the stored instance becomes another writer's: to the client this is what
    // another create of the same key looks like when the first send did not run. Only the field
    // no index holds tells it from popoto's own write.
    const restore = beforeResend(() => admin.hset("Note:n1", "text", Buffer.from(encode("theirs"))));
    try {
      const { error } = await withLostWriteReply(() => Note.create({ id: "n1", text: "mine" }));
      // observed before the exact check: no error (the indexed fields matched), "theirs" stored
      expect(isPopotoError(error, "KEY_CONFLICT"), describeError(error)).toBe(true);
    } finally {
      restore();
    }
    expect((await Note.load({ id: "n1" }))?.text).toBe("theirs");
  });

  it("save() of changed fields: applied once, resolves", async () => {
    const ann = await Player.create({ name: "ann", email: "ann@x", team: null, score: 1 });
    ann.score = 5;
    ann.team = await Team.load({ name: "red" });
    const { error } = await withLostWriteReply(() => ann.save());
    expect(describeError(error)).toBe("no error");
    expect((await Player.load({ name: "ann" }))?.score).toBe(5);
    expect(await Player.query.filter({ team: "Team:red" }).count()).toBe(1);
  });

  it("atomicIncrement(): adds the delta once", async () => {
    const ann = await Player.create({ name: "ann", email: "ann@x", team: null, score: 10 });
    // Loads commute.lua first, so the EVALSHA whose reply is lost runs the increment (a lost
    // NOSCRIPT reply would leave 10 behind an "outcome unknown" error, which is also right).
    await ann.atomicIncrement("score", 0);
    const { value, error } = await withLostWriteReply(() => ann.atomicIncrement("score", 1), commuteCall);
    if (error !== undefined) expect(isPopotoError(error, "CONNECTION"), describeError(error)).toBe(true);
    else expect(value).toBe(11);
    // observed: 12 (the re-sent script finds the stored value moved and increments again)
    expect((await Player.load({ name: "ann" }))?.score).toBe(11);
  });

  it("a key change (move): ends at the new key and does not report KeyConflictError", async () => {
    const ann = await Player.create({ name: "ann", email: "ann@x", team: null, score: 1 });
    ann.name = "anna";
    const { error } = await withLostWriteReply(() => ann.save());
    // the move was applied, so "cannot move … already exists; nothing was written" would be false
    expect(isPopotoError(error, "KEY_CONFLICT"), describeError(error)).toBe(false);
    if (error !== undefined) expect(isPopotoError(error, "CONNECTION"), describeError(error)).toBe(true);
    expect(await admin.exists("Player:ann")).toBe(0);
    expect((await Player.load({ name: "anna" }))?.email).toBe("ann@x");
  });

  it("getOrCreate(): reports that it created the instance", async () => {
    const { value, error } = await withLostWriteReply(() =>
      Player.getOrCreate({ name: "bob" }, { email: "bob@x", team: null, score: 0 }),
    );
    expect(describeError(error)).toBe("no error");
    expect(value?.[0].redisKey).toBe("Player:bob");
    // observed: false (the re-sent create-only write finds the instance it created and loads it)
    expect(value?.[1], "created").toBe(true);
  });

  it("delete(): reports that the instance existed", async () => {
    const ann = await Player.create({ name: "ann", email: "ann@x", team: "Team:red", score: 1 });
    const { value, error } = await withLostWriteReply(() => ann.delete());
    expect(describeError(error)).toBe("no error");
    expect(await admin.exists("Player:ann")).toBe(0);
    // observed: false (the re-sent delete finds nothing left to delete)
    expect(value).toBe(true);
  });

  it("save({ fields }): applied once, resolves", async () => {
    const ann = await Player.create({ name: "ann", email: "ann@x", team: null, score: 1 });
    ann.email = "ann@y";
    const { error } = await withLostWriteReply(() => ann.save({ fields: ["email"] }));
    expect(describeError(error)).toBe("no error");
    expect(await admin.smembers("$UniquF:Player:email:ann@y")).toEqual(["Player:ann"]);
    expect(await admin.exists("$UniquF:Player:email:ann@x")).toBe(0);
  });
});
