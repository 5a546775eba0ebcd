/**
 * Hash values as Popoto stores them: msgpack, through @msgpack/msgpack as popoto uses it (one
 * reused Encoder and Decoder; ioredis sends binary only for Buffers).
 */
import { Decoder, Encoder } from "@msgpack/msgpack";

const encoder = new Encoder({ useBigInt64: true });
const decoder = new Decoder({ useBigInt64: true });

export const pack = (value: string | number | null): Buffer => {
  const bytes = encoder.encode(value);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};

export const unpack = (bytes: Uint8Array): unknown => decoder.decode(bytes);

export const unpackString = (bytes: Uint8Array | undefined | null): string | null => {
  if (!bytes) return null;
  const value = unpack(bytes);
  return typeof value === "string" ? value : null;
};

export const unpackNumber = (bytes: Uint8Array | undefined): number => {
  const value = bytes ? unpack(bytes) : null;
  return typeof value === "number" ? value : Number(value);
};
