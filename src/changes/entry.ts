/**
 * A change-feed stream entry (docs/storage.md, "Change feed") as a typed event. Pure: the
 * entry's id and field/value list as Redis returns them go in, the event comes out.
 */
import { CorruptDataError } from "../errors.js";
import { decodeValue } from "../model/hash.js";
import type { ModelMeta } from "../model/meta.js";

/** What a change-feed entry records: Popoto 1.x's `op` values. */
export type ChangeOp = "create" | "update" | "delete";

/** One committed write of a model, as its change feed recorded it. */
export interface ChangeEvent<TValues = Record<string, unknown>> {
  /** The stream entry's id (`<ms>-<seq>`): pass it to `read({ after })` to replay what followed in its stream. */
  readonly id: string;
  /**
   * The stream the entry is in: the model's (`stream:Book`), or on a sharded model its bucket's
   * (`stream:{Event#3.17}`); an `id` orders events of one stream only.
   */
  readonly stream: string;
  readonly model: string;
  readonly op: ChangeOp;
  /** The instance's key after the write (its key before, for a delete). */
  readonly key: string;
  /** The key the instance had before a save moved it (a key field changed). */
  readonly previousKey?: string | undefined;
  /** When Redis applied the write (its clock, microseconds). */
  readonly at: Date;
  /** The fields the write stored: every field for a create, the changed ones for an update, none for a delete. */
  readonly fields: readonly (keyof TValues & string)[];
  /** Their new values, decoded from the stored bytes (a relationship as its target's key). */
  readonly values: Partial<TValues>;
}

const VALUE_PREFIX = "v:";
const OPS: ReadonlySet<string> = new Set<ChangeOp>(["create", "update", "delete"]);

const corrupt = (meta: ModelMeta, streamKey: string, id: string, detail: string): CorruptDataError =>
  new CorruptDataError(
    meta.name,
    streamKey,
    "",
    detail,
    `${meta.name}: change-feed entry ${id} of ${streamKey} cannot be decoded (${detail}). ` +
      `It was not written by popoto; delete it with XDEL ${streamKey} ${id}.`,
  );

/**
 * The event of one entry. `v:<field>` values of fields the model no longer declares are left out
 * (an entry written before the field was removed); other fields of the entry (Popoto 1.x's
 * metadata fields) are ignored.
 */
export function decodeEntry<TValues>(
  meta: ModelMeta,
  streamKey: string,
  id: string,
  raw: readonly Buffer[],
): ChangeEvent<TValues> {
  const text = new Map<string, string>();
  const values: Record<string, unknown> = {};
  const pk = (): string => text.get("pk") ?? "";
  const pending: [string, Buffer][] = [];
  for (let j = 0; j + 1 < raw.length; j += 2) {
    const name = (raw[j] as Buffer).toString();
    const bytes = raw[j + 1] as Buffer;
    if (name.startsWith(VALUE_PREFIX)) pending.push([name.slice(VALUE_PREFIX.length), bytes]);
    else text.set(name, bytes.toString());
  }
  const op = text.get("op") ?? "";
  if (!OPS.has(op))
    throw corrupt(meta, streamKey, id, `op ${JSON.stringify(op)} is not create, update or delete`);
  if (pk() === "") throw corrupt(meta, streamKey, id, "it has no pk");
  for (const [field, bytes] of pending) {
    if (!meta.fields.has(field)) continue;
    values[field] = decodeValue(meta, pk(), field, bytes);
  }
  const changed = text.get("changed_fields") ?? "";
  const fields = changed === "" ? [] : changed.split(",").filter((f) => meta.fields.has(f));
  const seconds = Number(text.get("ts"));
  const previous = text.get("previous_pk");
  return {
    id,
    stream: streamKey,
    model: text.get("model") ?? meta.name,
    op: op as ChangeOp,
    key: pk(),
    ...(previous === undefined ? {} : { previousKey: previous }),
    at: new Date(Number.isFinite(seconds) ? Math.round(seconds * 1000) : Number(id.split("-")[0])),
    fields: fields as (keyof TValues & string)[],
    values: values as Partial<TValues>,
  };
}
