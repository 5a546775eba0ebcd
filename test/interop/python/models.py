"""The interop models on the Python side; test/interop/models.ts declares the same ones for popoto."""

from datetime import date, datetime, time
from decimal import Decimal

from popoto import (
    BooleanField,
    BytesField,
    DateField,
    DatetimeField,
    DecimalField,
    DictField,
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
)


class Kitchen(Model):
    """Every plain field type."""

    name = KeyField()
    s = StringField()
    i = IntField()
    f = FloatField()
    b = BooleanField()
    by = BytesField()
    l = ListField()
    d = DictField()
    st = SetField()
    t = TupleField()
    dec = DecimalField()
    dt = DatetimeField()
    da = DateField()
    tm = TimeField()


class Keyed(Model):
    """Every key type but datetime (see Stamped)."""

    s = KeyField()
    i = KeyField(type=int)
    f = KeyField(type=float)
    b = KeyField(type=bool)
    dec = KeyField(type=Decimal)
    da = KeyField(type=date)
    tm = KeyField(type=time)


class Stamped(Model):
    """A datetime key: 0.8.3 writes str(datetime), 1.x and popoto the canonical UTC form."""

    at = KeyField(type=datetime)
    note = StringField()


class Place(Model):
    """Escaped key parts, a key move, a sorted field partitioned by a key field."""

    city = KeyField()
    name = KeyField()
    rank = SortedField(type=int, sort_by="city")


class Person(Model):
    name = KeyField()


class Member(Model):
    """A relationship, also the partition of a sorted field."""

    who = KeyField()
    person = Relationship(model=Person)
    since = SortedField(type=int, sort_by="person")


class Company(Model):
    name = KeyField()
    num = KeyField(type=int)


class Job(Model):
    """A relationship to a two-part, escaped key, used as a partition."""

    title = KeyField()
    company = Relationship(model=Company)
    pay = SortedField(type=int, sort_by="company")


class Spot(Model):
    name = KeyField()
    loc = GeoField()


class Series(Model):
    """Sorted fields of every type 0.8.3 can score (a sorted time crashes it)."""

    name = KeyField()
    n = SortedField(type=int)
    x = SortedField(type=float)
    dec = SortedField(type=Decimal)
    da = SortedField(type=date)
    at = SortedField(type=datetime)


class Wide(Model):
    """popoto's Wide declares only name and known: `extra` is a hash field it does not know."""

    name = KeyField()
    known = StringField()
    extra = StringField()


class Note(Model):
    """No key field: a hidden _auto_key."""

    text = StringField()
