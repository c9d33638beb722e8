"""Resources written as the API answers them, without DRF's per-field walk.

DRF's generic ``Serializer.to_representation`` walks every field of every row
through ``get_attribute`` and the field's own ``to_representation``. Hot
resources are written by a ``Representation`` instead, with these helpers,
which give exactly DRF's output (tests compare both on the same objects).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from functools import partial
from operator import attrgetter

import orjson
from django.db.models import Expression, Func, TextField
from django.db.models.functions import Cast
from django.utils import timezone

_CENT = Decimal("0.01")
_COST_PLACES = Decimal("0.0001")
_UTC_Z = orjson.OPT_UTC_Z


def money(value: Decimal | str | None) -> str | None:
    """A ``DecimalField(decimal_places=2)`` as DRF writes it: ``"19.90"``.

    A string is a column PostgreSQL already wrote as text (``numeric(n, 2)``
    cast to ``text``: the same digits), passed through as is.
    """
    if value is None or isinstance(value, str):
        return value
    return f"{value.quantize(_CENT):f}"


def cost(value: Decimal | str | None) -> str | None:
    """A ``DecimalField(decimal_places=4)`` as DRF writes it: ``"12.3456"``
    (a string: PostgreSQL's text of the ``numeric(n, 4)``, as is)."""
    if value is None or isinstance(value, str):
        return value
    return f"{value.quantize(_COST_PLACES):f}"


def timestamp(value: datetime | None, tz: tzinfo | None = None) -> str | None:
    """A ``DateTimeField`` as DRF writes it: ISO 8601, ``Z`` for UTC.

    ``tz`` is the current time zone when the caller has it at hand: looking
    it up costs more than the rest of this function.
    """
    if value is None:
        return None
    tz = tz or timezone.get_current_timezone()
    if _is_utc(tz):
        # The same text, written by orjson in a quarter of isoformat's time.
        return orjson.dumps(value.astimezone(UTC), option=_UTC_Z)[1:-1].decode()
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _is_utc(tz: tzinfo) -> bool:
    return tz is UTC or getattr(tz, "key", None) == "UTC"


class UtcText(Func):
    """A ``timestamptz`` as PostgreSQL's text of its UTC time, written as
    ``timestamp(value, UTC)`` writes it: ``2026-12-01T09:30:00.250000Z``,
    no fraction when it is zero (as ``isoformat``). A list reads its
    timestamps so instead of as datetimes, each of which psycopg parsed and
    ``timestamp`` wrote back in Python."""

    template = (
        "replace(to_char(%(expressions)s AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z')"
    )
    output_field = TextField()


def _in_time_zone(text: str, tz: tzinfo) -> str:
    """``UtcText``'s text written in another time zone."""
    return timestamp(datetime.fromisoformat(text), tz)


# What an instance holds in place of the text a list reads (``_column``).
_INSTANCE_WRITERS = {
    "money": money,
    "cost": cost,
    "text": str,
    "timestamp": partial(timestamp, tz=UTC),
}


def json_value(value):
    """A JSON column: parsed already (an instance's) or read as its text."""
    return orjson.loads(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Field:
    """One field of a resource's answer, and where a row holds it.

    ``source`` is what a list reads with ``values_list``: a lookup
    (``"category__name"``) or an expression. ``attribute`` is where a model
    instance holds the same value, when it is not the lookup itself (dots for
    ``__``). ``kind`` says how the value is written: as is, ``money`` (a
    ``DecimalField`` of 2 places), ``cost`` (of 4), ``timestamp``, ``text``
    or ``json`` (a JSON column, parsed if read as text).

    ``derive``, instead of a source: a function and the names of earlier
    fields it is applied to, e.g. ``(operator.le, "stock", "reorder_level")``.
    The value is computed as the row is written, not read: PostgreSQL would
    evaluate a subquery the fields are made of once more for it.
    """

    name: str
    source: str | Expression | None = None
    attribute: str | None = None
    kind: str = "plain"
    derive: tuple[Callable, str, ...] | None = None


class Representation:
    """A resource as the API writes it, from one list of fields.

    The same fields give the serializer its ``Meta.fields``, the list its
    ``values_list`` columns, and a model instance its row, so that the list,
    the detail and every write's answer are written by one function
    (``write``). ``nested`` fields (an order's lines) come last, filled by
    the caller. Written out rather than through DRF's fields: on a page of 50
    rows DRF's generic path was most of a list request's CPU; tests compare
    both on the same objects.
    """

    def __init__(self, *fields: Field, nested: tuple[str, ...] = ()):
        self.fields = [field.name for field in fields] + list(nested)
        #: The fields an answer holds, without the nested ones (a CSV's columns).
        self.flat_fields = [field.name for field in fields]
        names = self.flat_fields
        self._names = tuple(names)
        # Each derived field's position in the answer, its function and the
        # positions of its arguments, in the order they are inserted in a row.
        self._derived = [
            (names.index(f.name), f.derive[0], [names.index(a) for a in f.derive[1:]])
            for f in fields
            if f.derive is not None
        ]
        for index, _, arguments in self._derived:
            if not all(a < index for a in arguments):
                raise ValueError(f"{names[index]} derives from a later field")
        read = [field for field in fields if field.derive is None]
        #: A row's columns: every field but the derived ones.
        self.columns = tuple(_column(field) for field in read)
        # A row read in ``columns`` holds money, text and UTC timestamps as
        # the API writes them; only an instance's row (``row_of``) needs them
        # written, and a timestamp another time zone than UTC.
        self._converted = [
            (f.name, f.kind) for f in read if f.kind in ("timestamp", "json")
        ]
        self._of_instance = [
            (index, _INSTANCE_WRITERS[f.kind])
            for index, f in enumerate(read)
            if f.kind in _INSTANCE_WRITERS
        ]
        self._attributes = attrgetter(
            *(
                field.attribute or (field.source or field.name).replace("__", ".")
                for field in read
            )
        )

    def row_of(self, instance) -> tuple:
        """The row a list would read for ``instance``: its money and
        timestamps as text."""
        row = list(self._attributes(instance))
        for index, write in self._of_instance:
            if row[index] is not None:
                row[index] = write(row[index])
        return tuple(row)

    def write(self, rows: Iterable[tuple]) -> list[dict]:
        """Each row as the API's dict (a null stays null)."""
        tz = timezone.get_current_timezone()
        writers = {"json": json_value}
        if not _is_utc(tz):
            writers["timestamp"] = partial(_in_time_zone, tz=tz)
        converters = [
            (name, writers[kind]) for name, kind in self._converted if kind in writers
        ]
        derived = self._derived
        answers = []
        for row in rows:
            for index, derive, arguments in derived:
                value = derive(*[row[a] for a in arguments])
                row = (*row[:index], value, *row[index:])
            answer = dict(zip(self._names, row, strict=True))
            for name, write in converters:
                value = answer[name]
                if value is not None:
                    answer[name] = write(value)
            answers.append(answer)
        return answers


def _column(field: Field) -> str | Expression:
    source = field.source or field.name
    if not isinstance(source, str):
        return source
    if field.kind in ("money", "cost"):
        # PostgreSQL's text of a numeric(n, 2) (or 4) is the API's digits:
        # no Decimal built per value to be formatted back.
        return Cast(source, TextField())
    if field.kind == "timestamp":
        return UtcText(source)
    return source
