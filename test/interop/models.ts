/**
 * The interop models on the popoto side, declared as test/interop/python/models.py declares them
 * for Python Popoto 0.8.3 (Python fields are nullable by default; so are these).
 */
import {
  BooleanField,
  BytesField,
  DateField,
  DatetimeField,
  DecimalField,
  DictField,
  Field,
  FloatField,
  GeoField,
  IntField,
  KeyField,
  ListField,
  Model,
  Relationship,
  SetField,
  SortedField,
  StringField,
  TimeField,
  TupleField,
} from "../../src/index.js";

export class Kitchen extends Model("Kitchen", {
  name: KeyField(),
  s: StringField({ null: true }),
  i: IntField({ null: true }),
  f: FloatField({ null: true }),
  b: BooleanField({ null: true }),
  by: BytesField({ null: true }),
  l: ListField({ null: true }),
  d: DictField({ null: true }),
  st: SetField({ null: true }),
  t: TupleField({ null: true }),
  dec: DecimalField({ null: true }),
  dt: DatetimeField({ null: true }),
  da: DateField({ null: true }),
  tm: TimeField({ null: true }),
}) {}

export class Keyed extends Model("Keyed", {
  s: KeyField(),
  i: KeyField({ type: "int" }),
  f: KeyField({ type: "float" }),
  b: KeyField({ type: "boolean" }),
  dec: KeyField({ type: "decimal" }),
  da: KeyField({ type: "date" }),
  tm: KeyField({ type: "time" }),
}) {}

export class Stamped extends Model("Stamped", {
  at: KeyField({ type: "datetime" }),
  note: StringField({ null: true }),
}) {}

export class Place extends Model("Place", {
  city: KeyField(),
  name: KeyField(),
  rank: SortedField({ type: "int", partitionBy: "city" }),
}) {}

export class Person extends Model("Person", { name: KeyField() }) {}

export class Member extends Model("Member", {
  who: KeyField(),
  person: Relationship(Person),
  since: SortedField({ type: "int", partitionBy: "person" }),
}) {}

export class Company extends Model("Company", {
  name: KeyField(),
  num: KeyField({ type: "int" }),
}) {}

export class Job extends Model("Job", {
  title: KeyField(),
  company: Relationship(Company),
  pay: SortedField({ type: "int", partitionBy: "company" }),
}) {}

export class Spot extends Model("Spot", { name: KeyField(), loc: GeoField({ null: true }) }) {}

export class Series extends Model("Series", {
  name: KeyField(),
  n: SortedField({ type: "int" }),
  x: SortedField({ type: "float" }),
  dec: SortedField({ type: "decimal" }),
  da: SortedField({ type: "date" }),
  at: SortedField({ type: "datetime" }),
}) {}

export class Wide extends Model("Wide", { name: KeyField(), known: StringField({ null: true }) }) {}

export class Note extends Model("Note", { text: Field({ null: true }) }) {}
