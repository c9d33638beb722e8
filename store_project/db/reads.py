"""Model instances from the rows of hand-written reads, as ``raw()`` builds them."""

from collections.abc import Sequence
from functools import cache
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

M = TypeVar("M", bound=Model)


def instance_from_row(model: type[M], names: Sequence[str], row: Sequence) -> M:
    """The ``model`` instance of a row whose first values are the fields
    ``names`` (attribute names, in the row's order); the row's other values
    are left to the caller, the model's other fields are deferred.

    ``Model.objects.raw()`` builds the same instance, but resolves the
    statement's columns and their converters anew each time: as much CPU as
    the read. Here the values are the fields' values as they come, which
    holds only for fields without a database converter (checked once per
    model and names): for one with a converter, read through ``raw()``.
    """
    ordered, positions = _layout(model, tuple(names))
    return model.from_db(DEFAULT_DB_ALIAS, ordered, [row[i] for i in positions])


@cache
def _layout(model: type[Model], names: tuple[str, ...]) -> tuple[list[str], list[int]]:
    """``names`` in the model's field order (``from_db``'s), and where each
    is in the row; refused for a field with a database converter."""
    connection = connections[DEFAULT_DB_ALIAS]
    fields = [f for f in model._meta.concrete_fields if f.attname in names]
    for field in fields:
        column = field.get_col(model._meta.db_table)
        if connection.ops.get_db_converters(column) or column.get_db_converters(
            connection
        ):
            raise ImproperlyConfigured(
                f"{model.__name__}.{field.attname} is converted as it is read: "
                f"build {model.__name__} through {model.__name__}.objects.raw()."
            )
    unknown = set(names) - {f.attname for f in fields}
    if unknown:
        raise ImproperlyConfigured(f"{model.__name__} has no fields {sorted(unknown)}.")
    return [f.attname for f in fields], [names.index(f.attname) for f in fields]
