"""Pages of a listing that cost the same at any depth, and counts that never read a whole table.

A page reached by a link carries a cursor: the sort values of the row it continues from
(`?after=` for the next page, `?before=` for the previous one), so the database reads the
page's rows from an index and stops, instead of sorting and skipping everything before them.
A plain `?page=N` still works (an OFFSET read, as bookmarks and old links expect). Pages show
their number, carried along in `?page=`; a count comes from a caller's kept counters, or is
bounded: beyond BOUNDED_COUNT rows a listing says "more than" instead of counting on.
"""

import base64
import binascii
import json
import math
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections
from django.db.models import Q

# How many rows a count reads at most when no kept counter knows the answer.
BOUNDED_COUNT = 1_000

INVALID = "This page link is not valid. Start again from the first page."


class BadCursor(ValueError):
    """A cursor that this listing did not make (edited, truncated, or from another sort)."""


@dataclass(frozen=True)
class Sort:
    """An order to list rows in: field names, each descending or not, all the same way, the
    last one unique (the primary key), so that every row has one place."""

    name: str
    label: str
    fields: tuple[str, ...]

    @property
    def descending(self):
        return self.fields[0].startswith("-")

    @property
    def names(self):
        return [field.lstrip("-") for field in self.fields]


class MoreThan(int):
    """A count that stopped at its bound: compares and computes as the bound, reads "more than N"."""

    def __str__(self):
        return f"more than {int(self):,}"


def bounded_count(queryset, bound=BOUNDED_COUNT):
    """How many rows `queryset` has, reading at most `bound` + 1 of them."""
    return bounded_counts([queryset], bound)[0]


def bounded_counts(querysets, bound=BOUNDED_COUNT):
    """bounded_count() of each of `querysets`, in one query: a page that shows several counts
    makes one round trip to the database for them, not one each."""
    selects, params = [], []
    for queryset in querysets:
        rows = queryset.order_by().values("pk")[: bound + 1]
        # Not elided: a filter nothing can match (`__in=[]`) reads as a false condition.
        sql, values = rows.query.get_compiler(queryset.db, elide_empty=False).as_sql()
        # Only SQL the ORM compiled goes into the statement; every value travels as a parameter.
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS rows_read)")  # noqa: S608
        params.extend(values)
    with connections[querysets[0].db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        counted = cursor.fetchone()
    return [MoreThan(bound) if count > bound else count for count in counted]


def encode_cursor(values):
    text = json.dumps([str(v) if not isinstance(v, int) else v for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(token, model, sort):
    """The sort values a cursor holds, converted by the model's fields; BadCursor if it is not one."""
    try:
        values = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor(INVALID) from exc
    if not isinstance(values, list) or len(values) != len(sort.fields):
        raise BadCursor(INVALID)
    converted = []
    for name, value in zip(sort.names, values, strict=True):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # an annotation, such as a rank: a whole number
            field = None
        try:
            value = field.to_python(value) if field else int(value)
        except (TypeError, ValueError, ValidationError) as exc:
            raise BadCursor(INVALID) from exc
        if value is None:
            raise BadCursor(INVALID)
        converted.append(value)
    return converted


def beyond(sort, values, *, forward=True):
    """The rows after `values` in `sort`'s order (forward) or before them. Written as
    `a >= x AND (a > x OR (a = x AND b > y) ...)`: the first condition is a range an index on
    the sort's fields reads from, and the rest only filters the boundary."""
    later = "lt" if sort.descending == forward else "gt"
    alternatives = Q()
    equal = {}
    for name, value in zip(sort.names, values, strict=True):
        alternatives |= Q(**equal, **{f"{name}__{later}": value})
        equal[name] = value
    return Q(**{f"{sort.names[0]}__{later}e": values[0]}) & alternatives


class Paginator:
    """Keyset pages of `queryset` in `sort`'s order, `per_page` rows each; `count` (a callable)
    answers how many rows there are when the caller keeps that number, else a bounded count."""

    def __init__(self, queryset, sort, per_page, count=None):
        self.queryset = queryset
        self.sort = sort
        self.per_page = per_page
        self._count = count
        self._counted = None

    @property
    def count(self):
        if self._counted is None:
            self._counted = self._count() if self._count else bounded_count(self.queryset)
        return self._counted

    @property
    def num_pages(self):
        pages = max(1, math.ceil(int(self.count) / self.per_page))
        return MoreThan(pages) if isinstance(self.count, MoreThan) else pages

    def ordered(self, forward=True):
        fields = self.sort.fields
        if not forward:
            fields = [f[1:] if f.startswith("-") else f"-{f}" for f in fields]
        return self.queryset.order_by(*fields)

    def get_page(self, number=None, after=None, before=None):
        """The page after cursor `after`, before cursor `before`, or else number `number` (1 for
        anything that is no number). `number` is what the page calls itself. BadCursor for a
        cursor this listing did not make."""
        number = _page_number(number)
        model = self.queryset.model
        if after:
            values = decode_cursor(after, model, self.sort)
            rows = list(self.ordered().filter(beyond(self.sort, values))[: self.per_page + 1])
            return Page(self, rows[: self.per_page], max(number, 2), len(rows) > self.per_page, True)
        if before:
            values = decode_cursor(before, model, self.sort)
            earlier = self.ordered(forward=False).filter(beyond(self.sort, values, forward=False))
            rows = list(earlier[: self.per_page + 1])
            more = len(rows) > self.per_page
            rows = rows[: self.per_page][::-1]
            return Page(self, rows, max(number, 2) if more else 1, True, more)
        rows = self._at_offset((number - 1) * self.per_page)
        if not rows and number > 1:  # past the end: the last page, as Django's get_page does
            total = self._count() if self._count else self.queryset.order_by().count()
            number = max(1, math.ceil(total / self.per_page))
            rows = self._at_offset((number - 1) * self.per_page)
        return Page(self, rows[: self.per_page], number, len(rows) > self.per_page, number > 1)

    def _at_offset(self, offset):
        """The page's rows (and one more) `offset` rows in. Deeper than the first page, the rows
        skipped are found by their keys alone (an index-only read), and only the page's own rows
        are then fetched whole."""
        if not offset:
            return list(self.ordered()[: self.per_page + 1])
        keys = self.ordered().values("pk")[offset : offset + self.per_page + 1]
        return list(self.ordered().filter(pk__in=keys))


def _page_number(value):
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


class Page:
    """One page, with Django's Page interface (templates use either) and the cursors of the
    pages around it."""

    def __init__(self, paginator, rows, number, more_after, more_before):
        self.paginator = paginator
        self.object_list = rows
        self.number = number
        self._more_after = more_after and bool(rows)
        self._more_before = more_before and bool(rows)

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)

    def __getitem__(self, index):
        return self.object_list[index]

    def __repr__(self):
        return f"<Page {self.number}>"

    def has_next(self):
        return self._more_after

    def has_previous(self):
        return self._more_before

    def has_other_pages(self):
        return self.has_next() or self.has_previous()

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return max(1, self.number - 1)

    def _cursor(self, row):
        return encode_cursor([getattr(row, name) for name in self.paginator.sort.names])

    @property
    def next_cursor(self):
        """The `after` of the next page; None on the last."""
        return self._cursor(self.object_list[-1]) if self.has_next() else None

    @property
    def previous_cursor(self):
        """The `before` of the previous page; None on the first. The first page itself is
        linked without one, so that it always shows the newest rows."""
        if not self.has_previous() or self.number <= 2:
            return None
        return self._cursor(self.object_list[0])

    def link_parameters(self, direction):
        """What a link to the next (or previous) page sets in the query string: the page
        number and the cursor, and clears the other cursor."""
        if direction == "next":
            return {"page": self.next_page_number(), "after": self.next_cursor, "before": None}
        return {"page": self.previous_page_number(), "after": None, "before": self.previous_cursor}
