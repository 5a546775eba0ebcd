/**
 * Lookups on fields indexed by one set per value (KeyField, UniqueKeyField, IndexedField,
 * UniqueField): exact, `__in`, `__isnull` through the value sets; `__startswith`, `__endswith`,
 * `__contains` through the lex indexes, or a scan of every instance's value without them.
 */
import { QueryError } from "../../errors.js";
import type { FieldSpec } from "../../fields/field.js";
import type { KeyType } from "../../fields/field-type.js";
import {
  classSet,
  valueSet,
  type ValueSetKind,
  lexIndex,
  lexReverseIndex,
  valuePartForms,
} from "../../keys/keys.js";
import type { ModelMeta } from "../../model/meta.js";
import { reverseString } from "../../write/index-entries.js";
import type { Lookup } from "../lookup.js";
import { union, type LexScan, type PlanNode } from "./node.js";
import { setLookupNode } from "./set-lookup.js";
import { queryValue, stringValue } from "./values.js";

/** Lex range of every member whose value starts with `prefix` (0xFF never occurs in UTF-8). */
const prefixRange = (key: string, prefix: string, scan: LexScan): PlanNode => {
  const escaped = Buffer.from(prefix.replaceAll("\0", "\0\x01"), "utf8");
  return {
    t: "lex",
    key,
    min: Buffer.concat([Buffer.from("["), escaped]),
    max: Buffer.concat([Buffer.from("("), escaped, Buffer.from([0xff])]),
    scan,
  };
};

/** The node for one lookup on a key, unique key, indexed or unique field. */
export function keyFieldNode(meta: ModelMeta, spec: FieldSpec, lookup: Lookup): PlanNode {
  const kind = spec.kind as ValueSetKind;
  // A value whose key part Popoto 0.8.3 spelled differently is looked up under every spelling.
  const setFor = (value: unknown): PlanNode =>
    value === null
      ? { t: "set", key: valueSet(meta, lookup.field, kind, "None") }
      : union(
          valuePartForms(spec.type as KeyType, queryValue(meta, spec, lookup, value)).map((part) => ({
            t: "set" as const,
            key: valueSet(meta, lookup.field, kind, part),
          })),
        );
  const scan = (mode: LexScan["mode"]): LexScan => ({
    classKey: classSet(meta),
    noneKey: valueSet(meta, lookup.field, kind, "None"),
    position: meta.keyFields.indexOf(lookup.field) + 1,
    field: lookup.field,
    mode,
    needle: stringValue(meta, lookup),
  });
  switch (lookup.op) {
    case "":
    case "in":
    case "isnull":
      return setLookupNode(meta, lookup, setFor);
    case "startswith":
    case "endswith":
    case "contains":
      if (!spec.lexIndex)
        return {
          t: "scan",
          scan: scan(
            lookup.op === "startswith" ? "prefix" : lookup.op === "endswith" ? "suffix" : "contains",
          ),
        };
      break;
    default:
      throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
  }
  switch (lookup.op) {
    case "startswith":
      return prefixRange(lexIndex(meta, lookup.field), stringValue(meta, lookup), scan("prefix"));
    case "endswith":
      return prefixRange(
        lexReverseIndex(meta, lookup.field),
        reverseString(stringValue(meta, lookup)),
        scan("suffix"),
      );
    case "contains":
      return {
        t: "lexs",
        key: lexIndex(meta, lookup.field),
        needle: stringValue(meta, lookup),
        scan: scan("contains"),
      };
    default:
      throw new QueryError(meta.name, `${lookup.source} is not supported.`, lookup.field);
  }
}
