"""The one way an update service writes a model's fields."""

from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Model
from django.utils import timezone


class LoadedValues:
    """Mixed into a model: its instances remember the values they were read with.

    A form (the admin's) sets its cleaned data on the instance before the
    service runs, so the instance alone no longer says what changed;
    ``model_update`` compares with these values instead. (Django's
    documented ``from_db`` hook; rows read as plain values are not affected.)
    """

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._loaded_values = dict(zip(field_names, values, strict=True))
        return instance


class Change(NamedTuple):
    """One field's value before and after an update (a foreign key's id)."""

    before: Any
    after: Any


def model_update(
    *, instance: Model, fields: Collection[str], data: Mapping[str, Any]
) -> dict[str, Change]:
    """Set ``data`` on ``instance``, save those fields, and answer what changed.

    ``fields`` are the ones the calling service lets its callers change; any
    other key is a programming error (``TypeError``), and nothing is set. The
    fields given are all written, with ``updated_at`` where the model has
    one, even those equal to the instance's values: the row may have changed
    since the instance was read, and the caller's value is the one to keep.
    The answer holds only the fields whose value differs from the instance's
    as it was read (see ``LoadedValues``), for whoever records the change. No
    field, no write.
    """
    unknown = set(data) - set(fields)
    if unknown:
        raise TypeError(
            f"Not editable on {type(instance).__name__}: {sorted(unknown)}; "
            f"editable: {sorted(fields)}"
        )
    if not data:
        return {}
    opts = instance._meta
    loaded = getattr(instance, "_loaded_values", {})
    changes = {}
    for name, value in data.items():
        field = opts.get_field(name)
        # value_from_object reads a foreign key's id, not the related row: no
        # query, and an id is what a record of the change keeps.
        before = loaded.get(field.attname, field.value_from_object(instance))
        setattr(instance, name, value)
        after = field.value_from_object(instance)
        loaded[field.attname] = after
        if after != before:
            changes[name] = Change(before, after)
    update_fields = list(data)
    if "updated_at" not in data and any(
        field.name == "updated_at" for field in opts.concrete_fields
    ):
        instance.updated_at = timezone.now()
        update_fields.append("updated_at")
    instance.save(update_fields=update_fields)
    return changes


def rows_update(
    *, instances: Sequence[Model], fields: Collection[str], batch_size: int = 5000
) -> int:
    """Write ``fields`` of every instance as they are set on it, by primary key.

    For bulk writes (an import): each batch is one ``UPDATE ... FROM
    unnest(...)`` with one array per field, the values prepared by each
    field as ``save()`` prepares them (an encrypted field encrypts). ORM
    equivalent: ``bulk_update(instances, fields)``, whose ``CASE WHEN pk =
    ...`` per field and row took most of a 10,000-row import (building the
    expressions in Python, then matching each row against each branch).
    Answers the number of rows written.
    """
    if not instances:
        return 0
    model = type(instances[0])
    opts = model._meta
    pk = opts.pk
    columns = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = u.{quote(f.column)}" for f in columns)
    arrays = ", ".join(
        f"%s::{f.cast_db_type(connection) or f.db_type(connection)}[]"
        for f in [pk, *columns]
    )
    names = ", ".join(quote(f.column) for f in [pk, *columns])
    sql = (
        f"UPDATE {quote(opts.db_table)} AS t SET {assignments} "
        f"FROM unnest({arrays}) AS u ({names}) "
        f"WHERE t.{quote(pk.column)} = u.{quote(pk.column)}"
    )
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(instances), batch_size):
            batch = instances[start : start + batch_size]
            params = [[pk.get_db_prep_value(obj.pk, connection) for obj in batch]]
            params += [
                [
                    f.get_db_prep_save(getattr(obj, f.attname), connection)
                    for obj in batch
                ]
                for f in columns
            ]
            cursor.execute(sql, params)
            written += cursor.rowcount
    return written
