/**
 * Generated key values for `AutoKeyField({ kind })`, in the forms Popoto 1.x writes for its
 * `strategy` option (docs/storage.md §3):
 *
 * - "uuid" (Popoto's "uuid4", the default): a random UUID's 32 lowercase hex characters, the
 *   first `length` kept;
 * - "ulid": 26 characters of Crockford base32 (uppercase), a 48-bit millisecond time then 80
 *   random bits, as ulid-py's `str(ulid.new())`;
 * - "ksuid": 27 characters of base62 (`0-9A-Za-z`), a 32-bit count of seconds since 2014-05-13
 *   16:53:20 UTC then 128 random bits, as segmentio's KSUID (cyksuid).
 *
 * ULIDs and KSUIDs made later sort after earlier ones as plain strings (so as Redis key parts),
 * to the millisecond (ULID) or second (KSUID). Within one millisecond (one second for KSUID) this
 * process increments the random part of the previous id instead of drawing a new one, so ids of
 * one process sort in creation order (the ULID spec's monotonic mode); ids of other processes in
 * the same millisecond are ordered at random among them.
 */
import { randomBytes, randomUUID } from "node:crypto";

/** The kinds of generated key. */
export type AutoKeyKind = "uuid" | "ulid" | "ksuid";

export const AUTO_KEY_KINDS: readonly AutoKeyKind[] = ["uuid", "ulid", "ksuid"];

/** Length of a generated value per kind (uuid: the most; `length` may keep fewer). */
export const AUTO_KEY_LENGTHS: Readonly<Record<AutoKeyKind, number>> = { uuid: 32, ulid: 26, ksuid: 27 };

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** KSUID's epoch: 1400000000 seconds after the Unix epoch. */
export const KSUID_EPOCH_SECONDS = 1_400_000_000;

const toBigInt = (bytes: Uint8Array): bigint => {
  let n = 0n;
  for (const byte of bytes) n = (n << 8n) | BigInt(byte);
  return n;
};

/** `n` written in `alphabet`'s base, left-padded with its zero digit to `width` characters. */
const encode = (n: bigint, alphabet: string, width: number): string => {
  const base = BigInt(alphabet.length);
  let out = "";
  for (let rest = n; rest > 0n; rest /= base) out = (alphabet[Number(rest % base)] as string) + out;
  return out.padStart(width, alphabet[0]);
};

const RANDOM_80 = (1n << 80n) - 1n;
const RANDOM_128 = (1n << 128n) - 1n;

let lastUlid = { time: -1, random: 0n };
let lastKsuid = { time: -1, random: 0n };

/** The next random part: a fresh draw in a new time unit, else the previous one plus 1. */
const nextRandom = (
  last: { time: number; random: bigint },
  time: number,
  bytes: number,
  max: bigint,
): bigint => {
  if (time === last.time && last.random < max) return last.random + 1n;
  // A fresh draw; on the (2**-80) chance of overflow within one unit the order restarts at random.
  return toBigInt(randomBytes(bytes));
};

/** A ULID for the instant `now` (ms since the Unix epoch; default: now). */
export function newUlid(now: number = Date.now()): string {
  const time = Math.max(0, Math.min(Math.floor(now), 2 ** 48 - 1));
  const random = nextRandom(lastUlid, time, 10, RANDOM_80);
  lastUlid = { time, random };
  return encode(BigInt(time), CROCKFORD, 10) + encode(random, CROCKFORD, 16);
}

/** A KSUID for the instant `now` (ms since the Unix epoch; default: now). */
export function newKsuid(now: number = Date.now()): string {
  const time = Math.max(0, Math.min(Math.floor(now / 1000) - KSUID_EPOCH_SECONDS, 2 ** 32 - 1));
  const random = nextRandom(lastKsuid, time, 16, RANDOM_128);
  lastKsuid = { time, random };
  return encode((BigInt(time) << 128n) | random, BASE62, 27);
}

/** The millisecond a ULID names. */
export const ulidTime = (ulid: string): number =>
  [...ulid.slice(0, 10)].reduce((n, c) => n * 32 + CROCKFORD.indexOf(c), 0);

/** The second (Unix time) a KSUID names. */
export const ksuidTime = (ksuid: string): number => {
  const n = [...ksuid].reduce((acc, c) => acc * 62n + BigInt(BASE62.indexOf(c)), 0n);
  return Number(n >> 128n) + KSUID_EPOCH_SECONDS;
};

/** A new value for an auto key of this kind (`length` applies to "uuid" only). */
export function newAutoKey(kind: AutoKeyKind, length: number): string {
  switch (kind) {
    case "ulid":
      return newUlid();
    case "ksuid":
      return newKsuid();
    case "uuid":
      return randomUUID().replaceAll("-", "").slice(0, length);
  }
}
