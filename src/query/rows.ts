import { CorruptDataError, type RowProblem } from "../errors.js";
import { decodeValue, hashFromFlat, valuesFromKey } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";
import type { ScriptReply } from "../scripts/run-script.js";
import { purgeKey } from "../write/execute-write.js";

/** What a query returns per match: whole hashes, some fields, or just keys. */
export type Want =
  | { readonly kind: "load" }
  | { readonly kind: "fields"; readonly fields: readonly string[] }
  | { readonly kind: "keys" };

/** One match: its key, decoded values, and (for whole loads) the raw hash, which becomes the save snapshot. */
export interface Row {
  readonly key: string;
  readonly values: Map<string, unknown>;
  readonly hash: Map<string, Buffer> | undefined;
  /** Distance from the centre of a geo filter, in its unit, when the query had one. */
  readonly distance?: number | undefined;
}

export const text = (b: ScriptReply | undefined): string =>
  Buffer.isBuffer(b) ? b.toString("utf8") : String(b);

export const decodeRow = (
  meta: ModelMeta,
  key: string,
  data: ScriptReply | undefined,
  want: Want,
): Row | undefined => {
  if (want.kind === "keys") return { key, values: valuesFromKey(meta, key), hash: undefined };
  if (Buffer.isBuffer(data) && data.toString() === "WRONGTYPE")
    throw new CorruptDataError(meta.name, key, "(hash)", "the key holds another Redis type than a hash");
  const list = Array.isArray(data) ? data : [];
  if (list.length === 0) return undefined; // the hash is gone: a leftover entry
  if (want.kind === "fields") {
    const values = new Map<string, unknown>();
    want.fields.forEach((name, i) => {
      const bytes = list[i];
      values.set(name, Buffer.isBuffer(bytes) ? decodeValue(meta, key, name, bytes) : null);
    });
    return { key, values, hash: undefined };
  }
  const hash = hashFromFlat(list as Buffer[]);
  const values = new Map<string, unknown>();
  for (const name of meta.fieldNames) {
    const bytes = hash.get(name);
    values.set(name, bytes === undefined ? null : decodeValue(meta, key, name, bytes));
  }
  return { key, values, hash };
};

/** Removes the index entries of matches whose hash is gone, so they stop costing later queries. */
export const purge = async (meta: ModelMeta, keys: readonly string[]): Promise<void> => {
  await Promise.all(keys.map((key) => purgeKey(meta, key)));
};

/** The keys a query.lua reply reports as gone (matched by an index, hash expired or deleted). */
export const goneKeys = (reply: readonly ScriptReply[]): string[] =>
  Array.isArray(reply[1]) ? reply[1].map((k) => text(k)) : [];

/** Whether query.lua declined to answer in one script: the work is over its budget. */
export const isStep = (reply: readonly ScriptReply[]): boolean =>
  Buffer.isBuffer(reply[0]) && reply[0].toString() === "STEP";

/** Where an ordered walk that spent its budget stopped, and how many matches it skipped for the offset. */
export const resumeOf = (
  reply: readonly ScriptReply[],
): { position: number; skipped: number } | undefined => {
  const resume = reply[3];
  if (!Array.isArray(resume)) return undefined;
  return { position: Number(resume[0]), skipped: Number(resume[1]) };
};

/** The row problem a decoding error reports, or undefined when the error is not about the row's data. */
export const problemOf = (error: unknown): RowProblem | undefined =>
  error instanceof CorruptDataError
    ? { key: error.key, kind: "corrupt", field: error.field, message: error.message }
    : undefined;

/**
 * Decodes one row; a row whose data does not decode is added to `problems` (when given: the
 * caller reports it with the healthy rows) or its CorruptDataError thrown.
 */
export function decodeOrReport(
  meta: ModelMeta,
  key: string,
  data: ScriptReply | undefined,
  want: Want,
  problems: RowProblem[] | undefined,
): Row | undefined | "problem" {
  try {
    return decodeRow(meta, key, data, want);
  } catch (error) {
    const problem = problemOf(error);
    if (!problem || !problems) throw error;
    problems.push(problem);
    return "problem";
  }
}

/** Rows of a query.lua reply; matches whose hash is gone are cleaned up and left out. */
export async function decodeRows(
  meta: ModelMeta,
  reply: readonly ScriptReply[],
  want: Want,
  problems?: RowProblem[],
): Promise<Row[]> {
  const rows: Row[] = [];
  const gone: string[] = goneKeys(reply);
  const distances = new Map<string, number>();
  const flat = Array.isArray(reply[2]) ? reply[2] : [];
  for (let i = 0; i + 1 < flat.length; i += 2) distances.set(text(flat[i]), Number(text(flat[i + 1])));
  const step = want.kind === "keys" ? 1 : 2;
  for (let i = 4; i < reply.length; i += step) {
    const key = text(reply[i]);
    const row = decodeOrReport(meta, key, reply[i + 1], want, problems);
    if (row === "problem") continue;
    if (row) rows.push(distances.has(key) ? { ...row, distance: distances.get(key) } : row);
    else gone.push(key);
  }
  if (gone.length > 0) await purge(meta, gone);
  return rows;
}
