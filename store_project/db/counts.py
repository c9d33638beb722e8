"""Exact whole-table row counts, kept by the database.

``SELECT COUNT(*)`` reads the whole table: on every page of a list (DRF's
pagination, the admin's changelist) it cost more than the rest of the
request, and grows with the years of orders. Counted tables instead keep
their exact count in ``RowCount``, maintained by statement-level triggers in
the same transaction as the rows, so it is as exact (and as MVCC-consistent)
as ``COUNT(*)``; a whole-table ``count()`` then sums a few small rows. The
triggers are created by migrations (``store_project`` 0002 for the function,
one per counted table), whose SQL stays as written there.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, connections
from django.db.models import QuerySet
from django.db.models.sql.constants import LOUTER
from django.db.models.sql.datastructures import Join

from store_project.db.altering import run_queued_key_checks
from store_project.models import RowCount


class CountedQuerySet(QuerySet):
    """A queryset whose whole-table ``count()`` reads the trigger-kept counter.

    For models whose table a migration counts. Only a count of every row
    (ordering, ``select_related`` and joins along foreign keys aside) can use
    the counter; anything narrower counts as usual.
    """

    def count(self) -> int:
        if self._result_cache is not None or not self._counts_every_row():
            return super().count()
        with connections[self.db].cursor() as cursor:
            cursor.execute(*count_statement(self))
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


_COUNTER = (
    f"SELECT COALESCE(SUM(rows), 0)::bigint FROM {RowCount._meta.db_table} "
    "WHERE table_name = %s"
)


def count_statement(queryset: QuerySet) -> tuple[str, tuple]:
    """A statement whose one value is ``queryset.count()``, and its
    parameters: the counter of a whole counted table, else a ``COUNT(*)``."""
    if isinstance(queryset, CountedQuerySet) and queryset._counts_every_row():
        return _COUNTER, (queryset.model._meta.db_table,)
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) AS counted", params


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


@contextmanager
def counted_at_the_end() -> Iterator[None]:
    """Inside one long transaction of many writes (the demo's seeding): the
    counting triggers off, and every counted table counted once at the end.

    Each statement's trigger updates the same counter row, and a transaction
    that updated a row thousands of times leaves a chain of versions that
    nobody can prune before it commits and that every next update walks: the
    seeding of a large store spent most of its time there. The caller's
    transaction holds the tables (``ALTER TABLE`` locks them), so the counts
    it writes are exact when it commits.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
            "WHERE tgfoid = 'store_project_count_rows'::regproc ORDER BY 1, 2"
        )
        triggers = cursor.fetchall()
        _set_triggers(cursor, triggers, "DISABLE")
        yield
        _set_triggers(cursor, triggers, "ENABLE")
        table = RowCount._meta.db_table
        for counted in sorted({name for name, _ in triggers}):
            cursor.execute(f"DELETE FROM {table} WHERE table_name = %s", [counted])
            cursor.execute(
                f"INSERT INTO {table} (table_name, rows) "
                f"SELECT %s, COUNT(*) FROM {counted}",
                [counted],
            )


def _set_triggers(cursor, triggers, change: str) -> None:
    run_queued_key_checks(cursor)
    for table, trigger in triggers:
        cursor.execute(f'ALTER TABLE {table} {change} TRIGGER "{trigger}"')
