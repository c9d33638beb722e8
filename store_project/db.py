"""Database helpers shared by the apps' services."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import (
    IntegrityError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.migrations.operations.base import Operation
from django.db.models import Field, Model, ProtectedError, QuerySet
from django.db.models.sql.constants import LOUTER
from django.db.models.sql.datastructures import Join

from store_project.api.exceptions import (
    InvalidInput,
    LockTimeout,
    ProtectedObjectError,
)
from store_project.models import RowCount


@contextmanager
def unique_violations_as_invalid_input(
    constraints: dict[str, tuple[str, str]],
) -> Iterator[None]:
    """Turn a unique-constraint violation into ``InvalidInput`` on its field.

    ``constraints`` maps a constraint name to ``(field, message)``. The block
    runs in a savepoint so the surrounding transaction stays usable. Checking
    first and inserting after would race; the database decides instead.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        text = str(exc)
        for name, (field, message) in constraints.items():
            if name in text:
                raise InvalidInput(message, code="unique", field=field) from exc
        raise


@contextmanager
def row_lock_timeout(what: str) -> Iterator[None]:
    """Answer a lock waited for too long as a 503 that names ``what``.

    PostgreSQL connections carry ``lock_timeout`` (``DB_LOCK_TIMEOUT_MS``,
    see ``database_config``), so a stuck lock fails fast instead of hanging
    the request. The API's error handler answers any such failure as a 503
    ``lock_timeout``; this names what was locked. It sends nothing to the
    database: the setting costs no round trip.
    """
    try:
        yield
    except OperationalError as exc:
        if is_lock_timeout(exc):
            raise LockTimeout(
                f"{what} is being changed by another request; try again shortly."
            ) from exc
        raise


def is_lock_timeout(exc: Exception) -> bool:
    """Whether ``exc`` is PostgreSQL giving up a lock wait (``lock_timeout``)."""
    return (
        isinstance(exc, OperationalError)
        and getattr(exc.__cause__, "sqlstate", None) == "55P03"  # lock_not_available
    )


def fetch_rows(sql: str, params: Sequence, fields: Sequence[Field]) -> list[tuple]:
    """The rows of hand-written SQL, each column as the ORM reads ``fields``.

    For reads too hot to compile through the ORM every time. Columns are
    converted by the same database converters the ORM applies (on SQLite,
    decimals and dates; on PostgreSQL there is usually nothing to do).
    """
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(field.model._meta.db_table)
        backend = connection.ops.get_db_converters(column)
        functions = backend + column.get_db_converters(connection)
        if functions:
            converters.append((index, functions, column))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for index, functions, column in converters:
            for function in functions:
                row[index] = function(row[index], column, connection)
        converted.append(tuple(row))
    return converted


def delete_or_refuse(obj: Model, refusal: str) -> None:
    """Delete ``obj``, or refuse with ``refusal`` while protected rows refer to it.

    ``refusal`` tells the user what to do instead (deactivate, move, keep).
    """
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        raise ProtectedObjectError(refusal) from exc


# --- Exact row counts of whole tables, kept by the database -------------------
#
# ``SELECT COUNT(*)`` reads the whole table: on every page of a list (DRF's
# pagination, the admin's changelist) it cost more than the rest of the
# request, and grows with the years of orders. Counted tables instead keep
# their exact count in ``RowCount``, maintained by statement-level triggers in
# the same transaction as the rows, so it is as exact (and as MVCC-consistent)
# as ``COUNT(*)``; a whole-table ``count()`` then sums a few small rows.

_COUNT_FUNCTION = "store_project_count_rows"
_TRIGGERS = {
    "row_count_insert": "AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows",
    "row_count_delete": "AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows",
    "row_count_truncate": "AFTER TRUNCATE ON {table}",
}


def _row_count_function_sql() -> str:
    """The one trigger function of every counted table.

    One small write per statement, whatever its number of rows (a COPY of a
    million rows costs one), to a counter row no other transaction holds.
    """
    counter = RowCount._meta.db_table
    return f"""
        CREATE FUNCTION {_COUNT_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            change bigint;
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                DELETE FROM {counter} WHERE table_name = TG_TABLE_NAME;
                RETURN NULL;
            ELSIF TG_OP = 'INSERT' THEN
                SELECT count(*) INTO change FROM new_rows;
            ELSE
                SELECT -count(*) INTO change FROM old_rows;
            END IF;
            IF change <> 0 THEN
                UPDATE {counter} SET rows = rows + change WHERE id = (
                    SELECT id FROM {counter} WHERE table_name = TG_TABLE_NAME
                    ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                );
                IF NOT FOUND THEN  -- every row is held by another writer
                    INSERT INTO {counter} (table_name, rows)
                    VALUES (TG_TABLE_NAME, change);
                END IF;
            END IF;
            RETURN NULL;
        END
        $$"""


class CreateRowCountFunction(Operation):
    """Migration operation: create the trigger function (PostgreSQL only)."""

    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(_row_count_function_sql(), params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION {_COUNT_FUNCTION}()", params=None)

    def describe(self):
        return "Create the row-counting trigger function (PostgreSQL)"


class CountRows(Operation):
    """Migration operation: count ``table``'s rows in ``RowCount`` (PostgreSQL only).

    Counts the rows already there and installs the triggers under a lock that
    lets readers through but no writer, so no row is missed or counted twice.
    """

    reversible = True

    def __init__(self, table: str):
        self.table = table

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self.table)
        name = schema_editor.quote_value(self.table)
        counter = RowCount._meta.db_table
        for statement in [
            f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE",
            f"DELETE FROM {counter} WHERE table_name = {name}",
            f"INSERT INTO {counter} (table_name, rows) "
            f"SELECT {name}, count(*) FROM {table}",
            *(
                f"CREATE TRIGGER {trigger} {when.format(table=table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {_COUNT_FUNCTION}()"
                for trigger, when in _TRIGGERS.items()
            ),
        ]:
            schema_editor.execute(statement, params=None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self.table)
        for trigger in _TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER {trigger} ON {table}", params=None)
        schema_editor.execute(
            f"DELETE FROM {RowCount._meta.db_table} "
            f"WHERE table_name = {schema_editor.quote_value(self.table)}",
            params=None,
        )

    def describe(self):
        return f"Count the rows of {self.table} with triggers (PostgreSQL)"


class CountedQuerySet(QuerySet):
    """A queryset whose whole-table ``count()`` reads the trigger-kept counter.

    For models whose table a ``CountRows`` migration counts. Only a count of
    every row (ordering, ``select_related`` and joins along foreign keys
    aside) can use the counter; anything narrower, and every database but
    PostgreSQL, counts as usual.
    """

    def count(self) -> int:
        connection = connections[self.db]
        if (
            self._result_cache is not None
            or connection.vendor != "postgresql"
            or not self._counts_every_row()
        ):
            return super().count()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(SUM(rows), 0)::bigint "
                f"FROM {RowCount._meta.db_table} WHERE table_name = %s",
                [self.model._meta.db_table],
            )
            return cursor.fetchone()[0]

    def _counts_every_row(self) -> bool:
        query = self.query
        return not (
            query.where
            or query.is_sliced
            or query.distinct
            or query.combinator
            or query.group_by is not None
            or query.extra
            or query.extra_tables
            or any(a.contains_aggregate for a in query.annotations.values())
            or not all(_keeps_every_row(j) for j in query.alias_map.values())
        )


def _keeps_every_row(join) -> bool:
    """Whether a join neither drops nor repeats rows (``values_list`` of a
    related name adds one): along a foreign key each row meets at most one
    row, and an outer join or a non-null key drops none."""
    if not isinstance(join, Join):
        return True  # the queryset's own table
    return (
        join.filtered_relation is None
        and getattr(join.join_field, "many_to_one", False)
        and (join.join_type == LOUTER or not join.nullable)
    )
