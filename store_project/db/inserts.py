"""Hand-written INSERT statements that write rows as ``save()`` writes them."""

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.db.models.expressions import DatabaseDefault


def insert_rows(
    instances: Sequence[Model], *, returning: str = "", alias: str = ""
) -> list[tuple]:
    """Insert ``instances`` (new, all of one model) in one statement.

    Their values are prepared as ``save()`` prepares them: every concrete
    field but the primary key, each through its ``pre_save`` (an ``auto_now``
    stamp is set on the instance) and ``get_db_prep_save`` (an encrypted
    field encrypts); a ``db_default`` left unset is written as ``DEFAULT``.
    Each instance is then as ``save()`` leaves it: its primary key and the
    values its database defaults wrote set from ``RETURNING``, marked as
    saved. Answers, per instance in order, the ``returning`` columns (SQL
    over the table, or over ``alias`` when given); none without them.
    """
    # The connection itself, not the ``django.db.connection`` proxy: each
    # field's preparation reads its ``ops`` and ``features``, and every read
    # through the proxy looks the connection up anew.
    connection = connections[DEFAULT_DB_ALIAS]
    opts = instances[0]._meta
    fields = [field for field in opts.concrete_fields if not field.primary_key]
    rows, params, defaulted = [], [], set()
    for instance in instances:
        placeholders = []
        for field in fields:
            value = field.pre_save(instance, add=True)
            if isinstance(value, DatabaseDefault):
                placeholders.append("DEFAULT")
                defaulted.add(field)
            else:
                placeholders.append("%s")
                params.append(field.get_db_prep_save(value, connection))
        rows.append(f"({', '.join(placeholders)})")
    quote = connection.ops.quote_name
    prefix = f"{alias}." if alias else ""
    # The primary key first, then what the database's defaults wrote.
    back = [opts.pk, *(field for field in fields if field in defaulted)]
    answered = [prefix + quote(field.column) for field in back]
    if returning:
        answered.append(returning)
    table = quote(opts.db_table) + (f" AS {alias}" if alias else "")
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES {', '.join(rows)} RETURNING {', '.join(answered)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written = cursor.fetchall()
    # RETURNING answers the rows in the order of VALUES, as bulk_create relies on.
    for instance, row in zip(instances, written, strict=True):
        for field, value in zip(back, row, strict=False):
            setattr(instance, field.attname, value)
        instance._state.adding, instance._state.db = False, connection.alias
    return [row[len(back) :] for row in written]
