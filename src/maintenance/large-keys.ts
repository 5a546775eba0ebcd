/**
 * Index structures larger than a batch (the class set, an unpartitioned sorted set, a popular
 * value's set). Reading their members one by one and each member's instance is most of a check's
 * work, and mostly confirms what the instance pass sees anyway. So the index pass sets them aside,
 * the instance pass counts the entries it finds in them, and afterwards a structure whose size
 * equals that count holds no stale entry (every entry it holds is one an instance calls for,
 * entries being distinct per instance). Only a structure whose size differs is read member by member.
 *
 * Holds one small record per large structure, at most `cap` of them (a large structure holds more
 * than a batch of entries, so there are few); past the cap they are read member by member at once.
 */
/** The index structures the tools read: sets, sorted sets and `$Index` hashes. */
export type StructureType = "set" | "zset" | "hash";

export class LargeKeys {
  readonly keys = new Map<string, { readonly type: StructureType; counted: number }>();
  constructor(private readonly cap: number) {}

  /** Sets a structure aside; false when the cap is reached (read it now instead). */
  defer(key: string, type: StructureType): boolean {
    if (this.keys.size >= this.cap) return false;
    this.keys.set(key, { type, counted: 0 });
    return true;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** One entry the instance pass found in a structure set aside. */
  count(key: string): void {
    const record = this.keys.get(key);
    if (record) record.counted++;
  }
}

/** Large structures set aside per check: about 80 bytes each. */
export const LARGE_KEYS_CAP = 100_000;
