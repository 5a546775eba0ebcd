/** What the index tools recognise as a sharded model's keys (docs/storage.md §7a), as data. */
import { describe, expect, it } from "vitest";
import { IndexedField, KeyField, Model } from "../../src/index.js";
import {
  bucketOfIndexKey,
  inBucket,
  indexKeyPatterns,
  indexValuesPattern,
  indexValuesPrefix,
  instanceKeyPattern,
} from "../../src/keys/keys.js";
import { bucketTag } from "../../src/keys/shards.js";

class PtEvent extends Model("PtEvent", { id: KeyField(), kind: IndexedField() }, { shards: 6 }) {}
const meta = PtEvent.meta;
const t3 = bucketTag("PtEvent", 3, 6);

describe("sharded key patterns", () => {
  it("reads the bucket from the tag after an index structure's prefix", () => {
    expect(bucketOfIndexKey(meta, `$IndexF:${t3}:kind:click`)).toBe(3);
    expect(bucketOfIndexKey(meta, `$Class:${t3}`)).toBe(3);
    expect(bucketOfIndexKey(meta, `$IndexValues:${t3}:${t3}:e1`)).toBe(3);
    // another count's tag, another model's, an unsharded spelling, an instance key: none
    expect(bucketOfIndexKey(meta, `$Class:${bucketTag("PtEvent", 3, 12)}`)).toBe(
      bucketTag("PtEvent", 3, 12) === t3 ? 3 : undefined,
    );
    expect(bucketOfIndexKey(meta, `$Class:${bucketTag("PtOther", 3, 6)}`)).toBeUndefined();
    expect(bucketOfIndexKey(meta, "$Class:PtEvent")).toBeUndefined();
    expect(bucketOfIndexKey(meta, `${t3}:e1`)).toBeUndefined();
  });

  it("spells SCAN patterns over every bucket for the model, and one bucket's for its view", () => {
    expect(instanceKeyPattern(meta)).toBe("{PtEvent#*");
    expect(instanceKeyPattern(inBucket(meta, 3))).toBe(`${t3}:*`);
    const all = indexKeyPatterns(meta).map((p) => p.pattern);
    expect(all).toContain("$Class:{PtEvent#*");
    expect(all).toContain("$IndexF:{PtEvent#*:*");
    expect(indexKeyPatterns(inBucket(meta, 3)).map((p) => p.pattern)).toContain(`$IndexF:${t3}:*`);
    expect(indexValuesPattern(meta)).toBe("$IndexValues:{PtEvent#*:*");
    expect(indexValuesPrefix(inBucket(meta, 3))).toBe(`$IndexValues:${t3}:`);
  });
});
