/**
 * `page()` cursors: where the last page ended, as a keyset position (the last row's score and
 * instance key), not an offset, so a page stays right when rows are added or removed before it
 * and costs the same at page 50 as at page 1.
 *
 * A cursor is `base64url(JSON {v, s?, k})` + "." + a check of the payload and of the query's
 * shape (model, order, sorted set), so a damaged cursor, an edited one or the `next` of another
 * query is refused with an InvalidCursorError. The check holds no secret: a cursor is not a
 * credential, and whatever it names is still filtered by the query.
 */
import { createHash } from "node:crypto";
import { InvalidCursorError } from "../errors.js";
import type { After } from "./compile.js";

const VERSION = 1;

const check = (shape: string, payload: string): string =>
  createHash("sha256").update(`${shape}\n${payload}`).digest("base64url").slice(0, 16);

/** The cursor after `after`, for a query of this shape (`Book|score|-pages|$SortF:Book:pages`). */
export function encodeCursor(shape: string, after: After): string {
  const body: { v: number; s?: number; k: string } = { v: VERSION, k: after.key };
  if (after.score !== undefined) body.s = after.score;
  const payload = Buffer.from(JSON.stringify(body), "utf8").toString("base64url");
  return `${payload}.${check(shape, payload)}`;
}

/**
 * The position a cursor names, after checking it belongs to a query of this shape; `scored`
 * says whether the query orders by score (its cursors carry one) or by key (they do not).
 */
export function decodeCursor(model: string, shape: string, scored: boolean, cursor: unknown): After {
  const fail = (reason: string): never => {
    throw new InvalidCursorError(model, typeof cursor === "string" ? cursor : String(cursor), reason);
  };
  if (typeof cursor !== "string") return fail(`a cursor is a string, received ${typeof cursor}`);
  const [payload, sum, ...rest] = cursor.split(".");
  if (payload === undefined || sum === undefined || rest.length > 0 || payload === "")
    return fail("it is not in the form page() gives out");
  if (check(shape, payload) !== sum)
    return fail("it was changed, or belongs to a query with another model or orderBy");
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return fail("its content does not decode");
  }
  const { v, s, k } = (body ?? {}) as { v?: unknown; s?: unknown; k?: unknown };
  if (v !== VERSION) return fail(`it is of version ${String(v)}, this popoto reads version ${VERSION}`);
  if (typeof k !== "string" || k === "") return fail("it names no instance key");
  if (scored !== (s !== undefined) || (s !== undefined && (typeof s !== "number" || !Number.isFinite(s))))
    return fail("its position does not fit this query's order");
  return s === undefined ? { key: k } : { score: s as number, key: k };
}
