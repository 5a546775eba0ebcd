/**
 * The schema fingerprint as data: which indexes of a model it names, and which of them a query's
 * index keys read (no Redis).
 */
import { describe, expect, it } from "vitest";
import {
  IndexedField,
  KeyField,
  Model,
  Relationship,
  SortedField,
  TagField,
  GeoField,
  UniqueField,
} from "../../src/index.js";
import { idsOfKeys, indexIds } from "../../src/schema/fingerprint.js";
import { knownFrom } from "../../src/schema/state.js";

class FpAuthor extends Model("FpAuthor", { name: KeyField() }) {}
class FpBook extends Model(
  "FpBook",
  {
    title: KeyField({ lexIndex: true }),
    lang: IndexedField(),
    isbn: UniqueField(),
    pages: SortedField({ type: "int" }),
    rank: SortedField({ type: "int", partitionBy: "lang" }),
    author: Relationship(FpAuthor),
    tags: TagField(),
    at: GeoField(),
  },
  { indexes: [["lang", "pages"]] },
) {}

describe("indexIds", () => {
  it("names every index that can lag behind the data, in declaration order; key fields and lex indexes are not among them", () => {
    expect(indexIds(FpBook.meta)).toEqual([
      "indexed:lang",
      "unique:isbn",
      "sorted:pages",
      "sorted:rank/lang",
      "relationship:author",
      "tag:tags",
      "geo:at",
      "composite:lang+pages",
    ]);
    expect(indexIds(FpAuthor.meta)).toEqual([]);
  });
});

describe("idsOfKeys", () => {
  it("maps a plan's index keys to the ids it reads, with their field; other keys name none", () => {
    const found = idsOfKeys(FpBook.meta, [
      "$Class:FpBook",
      "$KeyF:FpBook:title:Dune",
      "$LexF:FpBook:title",
      "$SortF:FpBook:pages",
      "$SortF:FpBook:rank:en",
      "$IndexF:FpBook:lang:en",
      "$RelationshipF:FpBook:author:FpAuthor:Ann",
      "$TagF:FpBook:tags:sf",
      "$CompositeF:FpBook:lang+pages:en:100",
      "$GeoF:FpBook:at",
      "$UniquF:FpBook:isbn:1",
      "$SortF:FpAuthor:pages",
    ]);
    expect([...found]).toEqual([
      ["sorted:pages", "pages"],
      ["sorted:rank/lang", "rank"],
      ["indexed:lang", "lang"],
      ["relationship:author", "author"],
      ["tag:tags", "tags"],
      ["composite:lang+pages", "lang+pages"],
      ["geo:at", "at"],
      ["unique:isbn", "isbn"],
    ]);
  });

  it("ignores a key of another kind of index for the field (left from an earlier definition)", () => {
    expect([...idsOfKeys(FpBook.meta, ["$IndexF:FpBook:pages:1"])]).toEqual([]);
  });
});

describe("knownFrom", () => {
  it("without ~v the fingerprint is unknown (trusted), even when an unfinished migrate left its position", () => {
    expect(knownFrom({})).toEqual({ kind: "absent" });
    expect(knownFrom({ "~migrate": '{"ids":[],"cursor":"5"}' })).toEqual({ kind: "absent" });
  });
  it("with ~v, only the ids marked built are", () => {
    const state = knownFrom({ "~v": "1", "sorted:pages": "built", "sorted:old": "dropping" });
    expect(state).toEqual({ kind: "built", ids: new Set(["sorted:pages"]) });
  });
});
