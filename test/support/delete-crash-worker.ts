/**
 * Test worker: deletes an author of test/fixtures/delete-models.ts and kills its own process
 * (SIGKILL, as a crash would) just before step `crashAt` of the sequence is sent.
 * Args: <redis url | "cluster:<url>,<url>…"> <author name> <crashAt> <maxKeys>
 */
import { connect } from "../../src/index.js";
import { deleteSequenceHooks } from "../../src/model/delete-sequence.js";
import { DlAuthor } from "../fixtures/delete-models.js";

const [target = "", name = "", crashAt = "1", maxKeys = "1000"] = process.argv.slice(2);
await connect(target.startsWith("cluster:") ? { cluster: target.slice(8).split(",") } : target);
deleteSequenceHooks.limits = { maxKeys: Number(maxKeys), maxArgs: 20_000 };
deleteSequenceHooks.beforeStep = (info) => {
  if (info.round === 0 && info.index === Number(crashAt)) process.kill(process.pid, "SIGKILL");
};
await DlAuthor.load({ name }).then((author) => author?.delete());
// Not reached when the crash happens.
process.stdout.write(`${JSON.stringify({ finished: true })}\n`);
process.exit(0);
