/** Unique-value claims of sharded models (docs/storage.md §7a, "Unique values"), as data. */
import { describe, expect, it } from "vitest";
import { IndexedField, KeyField, Model, UniqueField } from "../../src/index.js";
import { bucketTagOf, claimFence, claimKey, sameBucket, uniqueSetInBucketOf } from "../../src/keys/claims.js";
import { bucketOfText, bucketTag, fnv1a32, keySlot } from "../../src/keys/shards.js";
import { saveContent } from "../../src/write/execute-write.js";
import { claimsOf, needsClaims, releasedBy } from "../../src/write/claims.js";
import { snapshotOf } from "../../src/model/hash.js";

const K = 24;
const tag = (id: string): string => bucketTag("UcUser", bucketOfText(id, K), K);

class UcUser extends Model(
  "UcUser",
  {
    id: KeyField(),
    email: UniqueField({ null: true }),
    team: IndexedField(),
    badge: UniqueField({ null: true }),
  },
  { shards: K, indexes: [{ fields: ["team", "email"], unique: true }] },
) {}
class UcPlain extends Model("UcPlain", { id: KeyField(), email: UniqueField() }) {}

describe("claim keys", () => {
  it("spell the claim from the bucket set's body, tagged by its hash so values spread over slots", () => {
    const set = `$UniquF:${tag("a")}:email:ann@x`;
    const hash = fnv1a32("UcUser:email:ann@x").toString(16).padStart(8, "0");
    expect(claimKey("UcUser", set)).toBe(`$UniqueClaim:{UcUser@${hash}}:email:ann@x`);
    // the same value claimed from any bucket is one key
    expect(claimKey("UcUser", `$UniquF:${tag("zz")}:email:ann@x`)).toBe(claimKey("UcUser", set));
    // a value holding braces does not shape the tag
    const braces = claimKey("UcUser", `$UniquF:${tag("a")}:email:{x}`);
    expect(keySlot(braces)).toBe(
      keySlot(`{UcUser@${fnv1a32("UcUser:email:{x}").toString(16).padStart(8, "0")}}`),
    );
    expect(claimKey("UcUser", `$CompositeF:${tag("a")}:team+email:t:ann@x`)).toMatch(
      /^\$UniqueClaim:\{UcUser@[0-9a-f]{8}\}:team\+email:t:ann@x$/,
    );
  });

  it("put a fence, and a set seen from another bucket, in that bucket's slot", () => {
    const key = `${tag("b")}:b`;
    expect(claimFence(key, "00ff")).toBe(`$UniqueFence:${tag("b")}:00ff`);
    expect(keySlot(claimFence(key, "00ff"))).toBe(keySlot(key));
    expect(uniqueSetInBucketOf(`$UniquF:${tag("a")}:email:x`, key)).toBe(`$UniquF:${tag("b")}:email:x`);
    expect(bucketTagOf(key)).toBe(tag("b"));
    expect(sameBucket(key, `$Class:${tag("b")}`)).toBe(true);
    expect(sameBucket(key, `${tag("a")}:a`)).toBe(tag("a") === tag("b"));
    expect(sameBucket("plain", "plain")).toBe(false);
  });
});

describe("what a write claims and releases", () => {
  const values = (email: string | null, badge: string | null = null): Map<string, unknown> =>
    new Map<string, unknown>([
      ["id", "a"],
      ["email", email],
      ["team", "t"],
      ["badge", badge],
    ]);

  it("claims the non-null unique values and combinations of a sharded model only", () => {
    expect(needsClaims(UcUser.meta)).toBe(true);
    expect(needsClaims(UcPlain.meta)).toBe(false);
    const content = saveContent(UcUser.meta, values("ann@x"));
    expect(claimsOf(UcUser.meta, content)).toEqual([
      ["email", `$UniquF:${tag("a")}:email:ann@x`],
      ["team+email", `$CompositeF:${tag("a")}:team+email:t:ann@x`],
    ]);
    expect(claimsOf(UcUser.meta, saveContent(UcUser.meta, values(null)))).toEqual([]);
    expect(
      claimsOf(
        UcPlain.meta,
        saveContent(
          UcPlain.meta,
          new Map([
            ["id", "p"],
            ["email", "e"],
          ]),
        ),
      ),
    ).toEqual([]);
  });

  it("releases the values the stored instance held and the write drops", () => {
    const key = `${tag("a")}:a`;
    const stored = snapshotOf(UcUser.meta, new Map(saveContent(UcUser.meta, values("ann@x", "gold")).hash));
    // a change of email drops its value and the combination; badge stays
    expect(releasedBy(UcUser.meta, key, stored, saveContent(UcUser.meta, values("bo@x", "gold")))).toEqual([
      ["email", `$UniquF:${tag("a")}:email:ann@x`],
      ["team+email", `$CompositeF:${tag("a")}:team+email:t:ann@x`],
    ]);
    // a delete drops every value
    expect(releasedBy(UcUser.meta, key, stored, undefined).map(([label]) => label)).toEqual([
      "email",
      "badge",
      "team+email",
    ]);
    // nothing stored: nothing to release
    expect(releasedBy(UcUser.meta, key, null, undefined)).toEqual([]);
  });
});
