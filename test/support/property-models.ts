/**
 * The models and operations of the property-based tests (test/property), shared by the test
 * process and its child-process client (property-worker.ts) so both run exactly the same code.
 *
 * Three models cover every index kind the property checks: a KeyField with escaped characters, a
 * UniqueField, a UniqueKeyField (int), sorted fields (one partitioned by a relationship), an int
 * field for atomicIncrement, relationships with onDelete cascade and setNull, and a ttl model
 * referring to the cascading one.
 */
import {
  Field,
  IntField,
  KeyField,
  Model,
  Relationship,
  SortedField,
  UniqueField,
  UniqueKeyField,
} from "../../src/index.js";
import { stateOf } from "../../src/model/instance-state.js";
import { decodeHash } from "../../src/model/hash.js";
import type { ModelMeta } from "../../src/model/meta.js";
import { computeKey } from "../../src/model/values.js";

export class PropAuthor extends Model("PropAuthor", {
  name: KeyField(),
  handle: UniqueField({ null: true }),
  rank: SortedField({ type: "int" }),
  bio: Field({ null: true }),
}) {}

export class PropBook extends Model("PropBook", {
  title: KeyField(),
  isbn: UniqueKeyField({ type: "int" }),
  author: Relationship(PropAuthor, { onDelete: "cascade" }),
  editor: Relationship(PropAuthor, { onDelete: "setNull" }),
  pages: SortedField({ type: "int" }),
  rating: SortedField({ type: "int", partitionBy: "editor" }),
  sold: IntField({ default: 0 }),
  note: Field({ null: true }),
}) {}

export class PropVisit extends Model(
  "PropVisit",
  {
    id: KeyField(),
    book: Relationship(PropBook, { onDelete: "setNull" }),
    token: UniqueField({ null: true }),
    hits: SortedField({ type: "int" }),
  },
  { ttl: 3600 },
) {}

export type ModelName = "PropAuthor" | "PropBook" | "PropVisit";
export const MODEL_NAMES: readonly ModelName[] = ["PropAuthor", "PropBook", "PropVisit"];

/** A stored row as plain JSON: relationships as instance keys, every declared field present. */
export type Row = Record<string, string | number | null>;

/** The loose view of a model class the operations need (the typed API is tested elsewhere). */
export interface LooseModel {
  readonly meta: ModelMeta;
  new (values?: Record<string, unknown>): LooseInstance;
  load(key: string): Promise<LooseInstance | null>;
}
export interface LooseInstance {
  readonly redisKey: string;
  save(options?: { fields?: readonly string[] }): Promise<unknown>;
  delete(): Promise<boolean>;
  atomicIncrement(field: string, delta: number): Promise<unknown>;
}

export const MODELS: Record<ModelName, LooseModel> = {
  PropAuthor: PropAuthor as unknown as LooseModel,
  PropBook: PropBook as unknown as LooseModel,
  PropVisit: PropVisit as unknown as LooseModel,
};

/** The one unique (non-key or key) field of each model. */
export const UNIQUE_FIELD: Record<ModelName, string> = {
  PropAuthor: "handle",
  PropBook: "isbn",
  PropVisit: "token",
};

/** Relationship fields: model -> field -> target model and onDelete, as declared above. */
export const RELATIONSHIPS: Record<
  ModelName,
  Record<string, { readonly target: ModelName; readonly onDelete: "cascade" | "setNull" }>
> = {
  PropAuthor: {},
  PropBook: {
    author: { target: "PropAuthor", onDelete: "cascade" },
    editor: { target: "PropAuthor", onDelete: "setNull" },
  },
  PropVisit: { book: { target: "PropBook", onDelete: "setNull" } },
};

/** Numeric fields atomicIncrement may change. */
export const NUMERIC_FIELDS: Record<ModelName, readonly string[]> = {
  PropAuthor: ["rank"],
  PropBook: ["pages", "sold"],
  PropVisit: ["hits"],
};

/** The instance key popoto computes for these values (escaping included). */
export const keyOf = (model: ModelName, values: Row): string =>
  computeKey(MODELS[model].meta, new Map(Object.entries(values)));

/** A row of an instance in memory: every declared field, relationships as keys. */
export const rowOf = (model: ModelName, instance: LooseInstance): Row => {
  const self = instance as unknown as Record<string, unknown>;
  const row: Row = {};
  for (const field of MODELS[model].meta.fieldNames) {
    const value = self[field];
    if (field in RELATIONSHIPS[model])
      row[field] =
        value === null || value === undefined
          ? null
          : typeof value === "string"
            ? value
            : (value as { redisKey: string }).redisKey;
    else row[field] = (value ?? null) as string | number | null;
  }
  return row;
};

/** One client operation, as plain JSON so the child process can run it too. */
export type Op =
  | { readonly kind: "create"; readonly model: ModelName; readonly slot: number; readonly values: Row }
  | { readonly kind: "load"; readonly model: ModelName; readonly slot: number; readonly key: string }
  | {
      readonly kind: "save";
      readonly model: ModelName;
      readonly slot: number;
      readonly changes: Row;
      /** null: a full save; else save({ fields }). */
      readonly fields: readonly string[] | null;
    }
  | {
      readonly kind: "incr";
      readonly model: ModelName;
      readonly slot: number;
      readonly field: string;
      readonly delta: number;
    }
  | { readonly kind: "delete"; readonly model: ModelName; readonly slot: number };

/** What an operation did: its result, or the error it threw (by code). */
export type Outcome =
  | {
      readonly ok: true;
      readonly existed?: boolean;
      readonly value?: number;
      /** load: the loaded row, null when absent. */
      readonly loaded?: Row | null;
      /** create/save: the key the copy is stored at afterwards. */
      readonly key?: string;
    }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** An in-memory copy held by a client: where it believes it is stored, and its field values. */
export interface CopyView {
  readonly pk: string | undefined;
  readonly values: Row;
  /**
   * The values the copy last loaded or saved (what a full save compares with to write only the
   * fields it changed); undefined for a copy never stored.
   */
  readonly known: Row | undefined;
}

const knownRow = (model: ModelName, instance: LooseInstance): Row | undefined => {
  const { pk, stored } = stateOf(instance);
  if (pk === undefined || stored === undefined) return undefined;
  return Object.fromEntries(decodeHash(MODELS[model].meta, pk, stored)) as Row;
};

/** A client's in-memory copies, by `${model}/${slot}`. */
export class Slots {
  readonly #copies = new Map<string, { model: ModelName; instance: LooseInstance }>();

  get(model: ModelName, slot: number): LooseInstance | undefined {
    return this.#copies.get(`${model}/${slot}`)?.instance;
  }

  set(model: ModelName, slot: number, instance: LooseInstance): void {
    this.#copies.set(`${model}/${slot}`, { model, instance });
  }

  view(model: ModelName, slot: number): CopyView | undefined {
    const instance = this.get(model, slot);
    return instance === undefined
      ? undefined
      : {
          pk: stateOf(instance).pk,
          values: rowOf(model, instance),
          known: knownRow(model, instance),
        };
  }

  clear(): void {
    this.#copies.clear();
  }
}

const failure = (error: unknown): Outcome => {
  const e = error as { code?: unknown; name?: string; message?: string; stack?: string };
  return {
    ok: false,
    code: typeof e.code === "string" ? e.code : `${e.name ?? "Error"} (not a PopotoError)`,
    message: typeof e.code === "string" ? String(e.message) : String(e.stack ?? e.message),
  };
};

/** Runs one operation against popoto with the client's copies. Never throws. */
export async function executeOp(op: Op, slots: Slots): Promise<Outcome> {
  const Class = MODELS[op.model];
  try {
    switch (op.kind) {
      case "create": {
        const instance = new Class(op.values);
        await instance.save();
        slots.set(op.model, op.slot, instance);
        return { ok: true, key: stateOf(instance).pk as string };
      }
      case "load": {
        const instance = await Class.load(op.key);
        if (instance) slots.set(op.model, op.slot, instance);
        return { ok: true, loaded: instance ? rowOf(op.model, instance) : null };
      }
      case "save": {
        const instance = slots.get(op.model, op.slot) as LooseInstance;
        Object.assign(instance, op.changes);
        await instance.save(op.fields === null ? undefined : { fields: op.fields });
        return { ok: true, key: stateOf(instance).pk as string };
      }
      case "incr": {
        const instance = slots.get(op.model, op.slot) as LooseInstance;
        return { ok: true, value: Number(await instance.atomicIncrement(op.field, op.delta)) };
      }
      case "delete": {
        const instance = slots.get(op.model, op.slot) as LooseInstance;
        return { ok: true, existed: await instance.delete() };
      }
    }
  } catch (error) {
    return failure(error);
  }
}
