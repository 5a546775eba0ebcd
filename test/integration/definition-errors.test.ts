/**
 * Model definition mistakes throw ModelDefinitionError when Model() runs, naming the model and
 * field and saying how to fix it. Nothing is registered by a failed definition.
 */
import { describe, expect, it } from "vitest";
import {
  AutoKeyField,
  DictField,
  Field,
  IntField,
  KeyField,
  ListField,
  Model,
  ModelDefinitionError,
  PopotoError,
  SortedField,
  SortedKeyField,
  UniqueKeyField,
  isPopotoError,
} from "../../src/index.js";
import { useRedis } from "../support/redis.js";

useRedis();

let counter = 0;
const fresh = (): string => `Def${++counter}`;

/** Defines a model and returns the ModelDefinitionError it throws (failing the test if none). */
const definitionError = (define: (name: string) => unknown, name = fresh()): ModelDefinitionError => {
  let error: unknown;
  try {
    define(name);
  } catch (e) {
    error = e;
  }
  expect(error, `defining ${name} should throw`).toBeInstanceOf(ModelDefinitionError);
  const e = error as ModelDefinitionError;
  expect(e).toBeInstanceOf(PopotoError);
  expect(e.code).toBe("MODEL_DEFINITION");
  expect(isPopotoError(e, "MODEL_DEFINITION")).toBe(true);
  expect(e.message).toContain(name);
  // every message says what to do
  expect(e.message).toMatch(
    /use|rename|remove|choose|declare|add|drop|give|name a|store|must|accept|expected/i,
  );
  return e;
};

const fieldError = (fields: Record<string, unknown>, field: string): ModelDefinitionError => {
  const error = definitionError((name) => Model(name, fields as never));
  expect(error.field).toBe(field);
  expect(error.message).toContain(field);
  return error;
};

describe("field names", () => {
  it.each(["limit", "order_by", "values", "save", "delete", "redisKey", "query", "objects", "constructor"])(
    "refuses the reserved name %s",
    (reserved) => {
      const error = fieldError({ id: KeyField(), [reserved]: Field() }, reserved);
      expect(error.message).toMatch(/reserved/);
    },
  );

  it.each(["Title", "1st", "my-field", "my field", "émoji", "a.b", "$x"])(
    "refuses the malformed name %j",
    (bad) => {
      fieldError({ id: KeyField(), [bad]: Field() }, bad);
    },
  );

  it("refuses __ inside a name and a trailing _", () => {
    expect(fieldError({ id: KeyField(), a__b: Field() }, "a__b").message).toContain("__");
    fieldError({ id: KeyField(), __x: Field() }, "__x");
    fieldError({ id: KeyField(), name_: Field() }, "name_");
  });

  it("accepts hidden names, digits and capitals after the first letter", () => {
    const Ok = Model(fresh(), { _hidden: Field(), aB9: KeyField(), snake_case: Field() });
    expect(Ok.meta.fieldNames).toEqual(["_hidden", "aB9", "snake_case"]);
  });

  it("refuses a value that is not a field definition", () => {
    fieldError({ id: KeyField(), title: "text" }, "title");
  });
});

describe("field declarations", () => {
  it("refuses list, dict and other container types as key fields", () => {
    fieldError({ tags: KeyField({ type: "list" } as never) }, "tags");
    fieldError({ meta: KeyField({ type: "dict" } as never) }, "meta");
    fieldError({ raw: KeyField({ type: "bytes" } as never) }, "raw");
    fieldError({ pair: UniqueKeyField({ type: "tuple" } as never) }, "pair");
  });

  it("refuses a nullable SortedField or SortedKeyField", () => {
    expect(fieldError({ id: KeyField(), n: SortedField({ null: true } as never) }, "n").message).toMatch(
      /null/,
    );
    expect(fieldError({ n: SortedKeyField({ null: true } as never) }, "n").message).toMatch(/null/);
  });

  it("refuses a nullable UniqueKeyField or AutoKeyField", () => {
    expect(fieldError({ email: UniqueKeyField({ null: true } as never) }, "email").message).toMatch(/null/);
    expect(fieldError({ id: AutoKeyField({ null: true } as never) }, "id").message).toMatch(/null/);
  });

  it("refuses a sorted field whose type has no score", () => {
    fieldError({ id: KeyField(), s: SortedField({ type: "string" } as never) }, "s");
    fieldError({ id: KeyField(), s: SortedField({ type: "boolean" } as never) }, "s");
  });

  it("refuses lexIndex on a field that is not a string, and on a plain Field", () => {
    expect(fieldError({ id: KeyField({ type: "int", lexIndex: true }) }, "id").message).toMatch(
      /lexIndex with type int/,
    );
    expect(fieldError({ id: KeyField(), g: Field({ lexIndex: true } as never) }, "g").message).toMatch(
      /unknown option "lexIndex"/,
    );
  });

  it("refuses a type that does not exist", () => {
    expect(fieldError({ id: KeyField(), u: Field({ type: "uuid" } as never) }, "u").message).toMatch(
      /not a valid Field type/,
    );
  });

  it("refuses a partition on a field the model does not have", () => {
    expect(fieldError({ id: KeyField(), n: SortedField({ partitionBy: "nope" }) }, "n").message).toContain(
      "nope",
    );
  });

  it("refuses a partition on a list or dict field", () => {
    fieldError({ id: KeyField(), tags: ListField(), n: SortedField({ partitionBy: "tags" }) }, "n");
    fieldError({ id: KeyField(), meta: DictField(), n: SortedField({ partitionBy: ["id", "meta"] }) }, "n");
  });

  it("refuses a sorted field partitioned by itself", () => {
    fieldError({ id: KeyField(), n: SortedField({ partitionBy: "n" }) }, "n");
  });

  it("refuses an AutoKeyField length outside 1 to 32", () => {
    fieldError({ id: AutoKeyField({ length: 0 }) }, "id");
    fieldError({ id: AutoKeyField({ length: 33 }) }, "id");
  });

  it("refuses an unknown AutoKeyField kind, and a length with ulid or ksuid", () => {
    expect(fieldError({ id: AutoKeyField({ kind: "nanoid" } as never) }, "id").message).toMatch(
      /kind "nanoid"; use one of "uuid", "ulid", "ksuid"/,
    );
    expect(fieldError({ id: AutoKeyField({ kind: "ulid", length: 10 }) }, "id").message).toMatch(
      /a ulid is always 26 characters; remove length/,
    );
  });

  it("refuses a default of the wrong type, or null on a non-nullable field", () => {
    fieldError({ id: KeyField(), n: IntField({ default: "x" } as never) }, "n");
    fieldError({ id: KeyField(), n: IntField({ default: null } as never) }, "n");
  });

  it("refuses a maxLength that is not a positive whole number", () => {
    fieldError({ id: KeyField(), s: Field({ maxLength: 0 }) }, "s");
    fieldError({ id: KeyField(), s: Field({ maxLength: 2.5 }) }, "s");
  });

  it("refuses unknown field options rather than ignoring them", () => {
    const error = fieldError({ id: KeyField({ unique: true } as never) }, "id");
    expect(error.message).toContain("unique");
    fieldError({ id: KeyField(), n: SortedField({ sortBy: "id" } as never) }, "n");
  });
});

describe("model options and names", () => {
  it.each([0, -1, 1.5, "10", Number.NaN])("refuses ttl %j", (ttl) => {
    const error = definitionError((name) => Model(name, { id: KeyField() }, { ttl: ttl as never }));
    expect(error.message).toContain("ttl");
  });

  it("refuses a default orderBy that names no field", () => {
    const error = definitionError((name) => Model(name, { id: KeyField() }, { orderBy: "-nope" as never }));
    expect(error.message).toContain("nope");
  });

  it("refuses unknown model options rather than ignoring them", () => {
    const error = definitionError((name) => Model(name, { id: KeyField() }, { abstract: true } as never));
    expect(error.message).toContain("abstract");
  });

  it.each(["My-Model", "has space", "{Book}", "", "9Lives", "a:b"])("refuses the model name %j", (bad) => {
    definitionError((name) => Model(name, { id: KeyField() }), bad);
  });

  it("refuses a duplicate model name, naming it", () => {
    const name = fresh();
    Model(name, { id: KeyField() });
    const error = definitionError((n) => Model(n, { other: KeyField() }), name);
    expect(error.message).toMatch(/already/);
  });

  it("a failed definition registers nothing, so the name can be used once fixed", () => {
    const name = fresh();
    definitionError((n) => Model(n, { limit: Field() }), name);
    const Fixed = Model(name, { id: KeyField() });
    expect(Fixed.modelName).toBe(name);
  });
});
