"""The bench's Author and Book for Python Popoto 0.8.3 (bench/python-memory.ts).

Reads tab-separated rows on stdin ("A", name, country | "B", title, author name, pages, genre)
and creates the authors (argument "authors") or the books ("books") at REDIS_URL.
"""

import sys

from popoto import KeyField, Model, Relationship, SortedField, StringField


class Author(Model):
    name = KeyField()
    country = StringField()


class Book(Model):
    title = KeyField()
    author = Relationship(model=Author)
    pages = SortedField(type=int)
    genre = StringField()


def main():
    phase = sys.argv[1]
    authors = {}
    for line in sys.stdin.read().splitlines():
        kind, *rest = line.split("\t")
        if kind == "A" and phase == "authors":
            Author.create(name=rest[0], country=rest[1])
        elif kind == "B" and phase == "books":
            if rest[1] not in authors:
                authors[rest[1]] = Author.query.get(name=rest[1])
            Book.create(title=rest[0], author=authors[rest[1]], pages=int(rest[2]), genre=rest[3])


main()
