/**
 * Per-instance expiry (`save({ ttl })`, `instance.expire(seconds)`): the checks made before
 * anything is sent. Only a model whose instances may expire (a model `ttl`, or `expiring: true`)
 * keeps the `$IndexValues` shadows and the existence checks that let an expired instance's index
 * entries be found and removed, so a ttl on another model would leave entries naming a hash that
 * is gone: it is refused.
 */
import { ValidationError } from "../errors.js";
import type { ModelMeta } from "./meta.js";

/** The ttl, checked: a positive whole number of seconds on a model whose instances may expire. */
export function checkTtl(meta: ModelMeta, ttl: unknown, call: string): number {
  if (!meta.expiring)
    throw new ValidationError(
      meta.name,
      [
        {
          field: "ttl",
          expected: `a model declared with a ttl or expiring: true`,
          received: `${meta.name}, declared without either`,
          message:
            `${call} needs a model whose instances may expire; declare ` +
            `Model("${meta.name}", fields, { expiring: true }) (or a model ttl) so its index entries ` +
            `are removed when an instance expires`,
        },
      ],
      "given an expiry",
    );
  if (typeof ttl !== "number" || !Number.isSafeInteger(ttl) || ttl <= 0)
    throw new ValidationError(
      meta.name,
      [
        {
          field: "ttl",
          expected: "a positive whole number of seconds",
          received: typeof ttl === "number" ? String(ttl) : typeof ttl,
          message: `${call} takes a positive whole number of seconds, got ${String(ttl)}`,
        },
      ],
      "given an expiry",
    );
  return ttl;
}
