import { getConnection } from "../connection/connection.js";
import type { ModelMeta } from "../model/meta.js";
import { runScript, type ScriptReply } from "../scripts/run-script.js";
import { scripts } from "../scripts/scripts.generated.js";
import { compileQuery } from "./compile.js";

import { decodeRows, type Row } from "./rows.js";
import type { PlanNode } from "./plan.js";
import { classSet } from "../keys/keys.js";
import type { RowProblem } from "../errors.js";
import { queryLimits } from "./limits.js";
import { loadRows, matchingKeys, planKeys, planSize } from "./stepwise.js";
import { assertIndexesBuilt } from "../schema/state.js";

/** The set to scan: the plan itself when it is one set, a set it intersects with, else the class set. */
const driverSet = (meta: ModelMeta, node: PlanNode): string => {
  if (node.t === "set") return node.key;
  if (node.t === "and") {
    const set = node.c.find((c) => c.t === "set");
    if (set && set.t === "set") return set.key;
  }
  return classSet(meta);
};

/**
 * Streams the matches of a plan in batches: SSCAN a driving set `batchSize` members at a time and
 * keep those the whole plan accepts (one script per batch, which also loads their hashes). Memory
 * stays at one batch whatever the size of the result. As with SCAN, an instance changed during the
 * iteration may be seen twice or not at all.
 */
export async function* iterateRows(
  meta: ModelMeta,
  node: PlanNode,
  batchSize: number,
  problems?: RowProblem[],
): AsyncGenerator<Row[]> {
  const redis = getConnection();
  await assertIndexesBuilt(meta, [...planKeys(node)]);
  if (planSize(node) > queryLimits().maxScriptArgs) {
    // A filter too large to send with each batch (a huge `__in`): find its matches in steps first.
    const keys = await matchingKeys(meta, node);
    for (let start = 0; start < keys.length; start += batchSize) {
      const rows = await loadRows(meta, keys.slice(start, start + batchSize), { kind: "load" }, problems);
      if (rows.length > 0) yield rows;
    }
    return;
  }
  const driver = driverSet(meta, node);
  let cursor = "0";
  do {
    const [next, members] = await redis.sscan(driver, cursor, "COUNT", batchSize);
    cursor = next;
    if (members.length === 0) continue;
    const candidates: PlanNode = { t: "keys", keys: members };
    const call = compileQuery({
      node: node.t === "set" && node.key === driver ? candidates : { t: "and", c: [candidates, node] },
      mode: "load",
      exists: meta.expiring,
    });
    const reply = (await runScript(redis, scripts.query, call.keys, call.args)) as ScriptReply[];
    const rows = await decodeRows(meta, reply, { kind: "load" }, problems);
    if (rows.length > 0) yield rows;
  } while (cursor !== "0");
}
