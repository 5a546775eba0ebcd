/**
 * Interop with Python Popoto 0.8.3 itself: both libraries read, query, update and delete each
 * other's rows on one Redis database, and write the same bytes for the same logical data. Every
 * difference left is a documented version difference (docs/storage.md §9) or a documented 0.8.3
 * defect that popoto tolerates.
 *
 * Runs where /usr/bin/python3 (or POPOTO_PYTHON) has Debian's python3-redis, python3-msgpack,
 * python3-pandas and python3-msgpack-numpy and the Popoto 0.8.3 source is found beside the
 * repository (../shared/popoto-py-0.8.3, or POPOTO_PY_SRC); otherwise it skips and says why.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PythonPopoto, pythonAvailability } from "../support/python-popoto.js";
import { allKeys, raw, useRedis } from "../support/redis.js";
import { Kitchen } from "./models.js";

useRedis();

const availability = pythonAvailability();
if (!availability.ok) console.warn(`\n[interop] Python Popoto suite SKIPPED: ${availability.reason}\n`);

let py: PythonPopoto;

/** Every field of a hash as hex, by field name. */
async function hashHex(key: string): Promise<Record<string, string>> {
  const hash = await raw.hgetallBuffer(key);
  return Object.fromEntries(Object.entries(hash).map(([k, v]) => [k, v.toString("hex")]));
}

describe.skipIf(!availability.ok)("Python Popoto 0.8.3 and popoto on one Redis", () => {
  beforeAll(async () => {
    if (availability.ok) py = new PythonPopoto(availability);
    await py.ready;
  });
  afterAll(async () => {
    await py?.close();
  });

  describe("every plain field type, edge values", () => {
    it("Python writes, popoto reads", async () => {
      await py.run(`Kitchen.create(name="edge", s="héllo 🎉 東京", i=-(2**31), f=-0.0, b=False,
        by=b"\\x00\\x01\\xff", l=[], d={}, st=set(), t=(), dec=Decimal("1.10"),
        dt=datetime.datetime(1960, 1, 2, 3, 4, 5, 678901), da=datetime.date(1901, 2, 3),
        tm=datetime.time(1, 2, 3, 4))`);
      console.log(await allKeys(), await hashHex("Kitchen:edge"));
      const k = await Kitchen.load({ name: "edge" });
      console.log(k);
    });
  });
});
