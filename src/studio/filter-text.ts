/**
 * The studio's filter box: `pages__gte=300, author__name=Tolkien` read into the filter object
 * `filter()` takes, each value typed by the field the lookup ends on (so `300` is a number for an
 * int field and a string for a string key field). What it cannot type it passes on as text, for
 * `filter()` itself to reject with its own message.
 */
import { QueryError } from "../errors.js";
import type { FieldSpec } from "../fields/field.js";
import type { ModelMeta } from "../model/meta.js";
import { targetModel } from "../model/targets.js";
import { LOOKUP_OPS, opsFor, type LookupOp } from "../query/operators.js";

const isOp = (name: string): name is LookupOp => Object.hasOwn(LOOKUP_OPS, name);

/** Splits at top-level separators (by default `,` `&` `;` newline), outside quotes and brackets. */
export function splitEntries(text: string, separators = ",&;\n"): string[] {
  const entries: string[] = [];
  let current = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      current += c;
      if (c === "\\" && i + 1 < text.length) current += text[++i] as string;
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === "[" || c === "{") depth++;
    else if ((c === "]" || c === "}") && depth > 0) depth--;
    else if (depth === 0 && separators.includes(c)) {
      entries.push(current);
      current = "";
      continue;
    }
    current += c;
  }
  entries.push(current);
  return entries.map((e) => e.trim()).filter((e) => e !== "");
}

/** The field a lookup key ends on, through relationships (`author__name` ends on Author.name), and its operator. */
function lookupTarget(meta: ModelMeta, key: string): { spec: FieldSpec; op: string } | undefined {
  let model = meta;
  let parts = key.split("__");
  for (;;) {
    const [name = "", ...rest] = parts;
    const spec = model.fields.get(name);
    if (!spec) return undefined;
    const [first] = rest;
    const endsHere = rest.length === 0 || (rest.length === 1 && first !== undefined && isOp(first));
    if (spec.kind !== "relationship" || endsHere) {
      if (rest.length > 1) return undefined;
      return { spec, op: first ?? "" };
    }
    // Traversal, as parseLookup decides it: a relationship followed by anything but one of its own operators.
    if (rest.length === 1 && first !== undefined && isOp(first) && opsFor(spec).includes(first))
      return { spec, op: first };
    try {
      model = targetModel(model.name, name, spec).meta;
    } catch {
      return undefined;
    }
    parts = rest;
  }
}

const unquote = (text: string): string | undefined => {
  if (!(text.length >= 2 && text.startsWith('"') && text.endsWith('"'))) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "string" ? parsed : undefined;
  } catch {
    return undefined;
  }
};

/** One scalar, typed by the field: numbers for numeric fields, booleans, null; else the text. */
function scalar(spec: FieldSpec | undefined, text: string): unknown {
  const quoted = unquote(text);
  if (quoted !== undefined) return quoted;
  if (text === "null" || text === "None") return null;
  if (spec === undefined) return text;
  if (spec.kind === "relationship") return text;
  if (spec.type === "int" || spec.type === "float") {
    const n = Number(text);
    return text !== "" && Number.isFinite(n) ? n : text;
  }
  if (spec.type === "boolean") {
    if (/^(true|1)$/i.test(text)) return true;
    if (/^(false|0)$/i.test(text)) return false;
  }
  return text;
}

/** `[a, b]` (items unquoted or JSON strings) as a list of typed scalars, or undefined when not a list. */
function list(spec: FieldSpec | undefined, text: string): unknown[] | undefined {
  if (!(text.startsWith("[") && text.endsWith("]"))) return undefined;
  const inner = text.slice(1, -1);
  if (inner.trim() === "") return [];
  return splitEntries(inner, ",").map((item) => scalar(spec, item));
}

/** A geo centre written as JSON: `{"latitude": 41.9, "longitude": 12.5, "radius": 5, "unit": "km"}`. */
function object(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** One value of the filter box, typed for the lookup `key`. */
export function typedValue(meta: ModelMeta, key: string, text: string): unknown {
  const target = lookupTarget(meta, key);
  const spec = target?.spec;
  const op = target?.op ?? "";
  if (op === "isnull")
    return /^(true|1|yes)$/i.test(text) ? true : /^(false|0|no)$/i.test(text) ? false : text;
  if (op === "within" || text.startsWith("{")) return object(text);
  return list(spec, text) ?? scalar(spec, text);
}

/**
 * Reads the filter box into a filter object. Throws QueryError for an entry without `=` or a key
 * given twice; everything else (unknown fields, unsupported operators, wrong types) is left to
 * `filter()`, so the studio shows exactly the errors code would get.
 */
export function parseFilterText(meta: ModelMeta, text: string): Record<string, unknown> {
  const where: Record<string, unknown> = {};
  for (const entry of splitEntries(text)) {
    const at = entry.indexOf("=");
    if (at <= 0)
      throw new QueryError(
        meta.name,
        `"${entry}" is not a lookup: write field=value, e.g. ${meta.fieldNames[0] ?? "field"}=… or pages__gte=300, separated by commas.`,
      );
    const key = entry.slice(0, at).trim();
    if (Object.hasOwn(where, key))
      throw new QueryError(meta.name, `"${key}" is given twice; give each lookup once.`, key.split("__")[0]);
    where[key] = typedValue(meta, key, entry.slice(at + 1).trim());
  }
  return where;
}
