"""A ModelViewSet whose writes go through the app's services."""

from collections.abc import Callable, Hashable
from functools import cached_property

from django.db import connections
from django.db.models import BigIntegerField, QuerySet
from django.db.models.expressions import RawSQL
from drf_standardized_errors.openapi_validation_errors import extend_validation_errors
from rest_framework import viewsets

from store_project.db.counts import count_statement

from .representation import Representation

# StandardPagination refuses a bad page_size with this code.
page_size_errors = extend_validation_errors(
    ["invalid"], field_name="page_size", actions=["list"]
)


@page_size_errors
class ServiceModelViewSet(viewsets.ModelViewSet):
    """CRUD where create, update and delete call service functions.

    Subclasses implement ``create_object(data)``, ``update_object(instance,
    data)`` and ``delete_object(instance)``. The written object is read back
    through ``get_queryset()`` so annotations and related names are present.
    """

    #: Hot lists read their page as plain rows of the representation's
    #: columns, which it writes out: no model instance per row (building them
    #: was a third of a page's CPU). None: DRF's list, through the serializer.
    representation: Representation | None = None

    def represent_rows(self, rows: list[tuple]) -> list[dict]:
        return self.representation.write(rows)

    def list_statement_key(self) -> Hashable | None:
        """What ``get_queryset()`` depends on, for a list whose unfiltered
        statement may be compiled once per process and kept under this key
        (e.g. the user's location scope); None: compiled on every request."""
        return None

    def list(self, request, *args, **kwargs):
        if self.representation is None:
            return super().list(request, *args, **kwargs)
        columns = self.representation.columns
        key = None
        if _PAGE_ONLY.issuperset(request.query_params):
            key = self.list_statement_key()
        if key is None:
            queryset = self.filter_queryset(self.get_queryset())
            rows = queryset.values_list(*columns)
        else:
            rows = CompiledRows(
                lambda: self.filter_queryset(self.get_queryset()),
                columns,
                (type(self), key),
            )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.represent_rows(page))

    def create_object(self, data: dict):
        raise NotImplementedError

    def update_object(self, instance, data: dict):
        raise NotImplementedError

    def delete_object(self, instance) -> None:
        raise NotImplementedError

    def perform_create(self, serializer):
        obj = self.create_object(serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=obj.pk)

    def perform_update(self, serializer):
        obj = self.update_object(serializer.instance, serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=obj.pk)

    def perform_destroy(self, instance):
        self.delete_object(instance)


# Query parameters that change only which page of the list is read.
_PAGE_ONLY = frozenset({"page", "page_size"})


class CompiledRows:
    """A queryset's ``values_list(*columns)``, read by its SQL compiled once
    per process and key, with the count of all its rows.

    Building a hot list's queryset and its ``values_list``, and compiling
    it, cost more than running it, for the same SQL on every request
    without a filter. This keeps that SQL (the ORM queryset stays its
    definition, built only to compile it or to count on its own) and reads a
    page as ``LIMIT``/``OFFSET`` of it, which is what slicing the queryset
    sends, with ``count_statement`` of the queryset as one more column: the
    paginator's count costs no statement of its own (``read_with_count``).
    Only for statements whose SQL depends on nothing but the key: see
    ``list_statement_key``.
    """

    _statements: dict = {}
    MAX_STATEMENTS = 1_000

    def __init__(self, queryset: Callable[[], QuerySet], columns: tuple, key: Hashable):
        self._make_queryset = queryset
        self.columns = columns
        self.key = key
        self._read_rows: tuple[int, list[tuple]] | None = None

    @cached_property
    def queryset(self) -> QuerySet:
        return self._make_queryset()

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def read_with_count(self, offset: int, limit: int) -> int:
        """Read rows ``offset`` to ``offset + limit`` for the slice that
        follows, and return the count of every row (counted on its own only
        when there is no row to carry it)."""
        rows = self._read(offset, limit)
        self._read_rows = (offset, [row[:-1] for row in rows])
        return rows[0][-1] if rows else self.count()

    def __getitem__(self, window: slice) -> list[tuple]:
        if self._read_rows is not None and self._read_rows[0] == window.start:
            return self._read_rows[1][: window.stop - window.start]
        rows = self._read(window.start, window.stop - window.start)
        return [row[:-1] for row in rows]

    def _read(self, offset: int, limit: int) -> list[tuple]:
        sql, params, using = self._statement()
        # The window written into the statement, as the ORM's slicing writes
        # it: with no parameter, a prepared statement keeps one plan.
        # PostgreSQL planned ``LIMIT $1`` anew on every execution, since a
        # plan for an unknown limit is estimated dearer than one for 50 rows.
        window = f" LIMIT {int(limit)} OFFSET {int(offset)}"
        with connections[using].cursor() as cursor:
            cursor.execute(sql + window, params)
            return cursor.fetchall()

    def _statement(self) -> tuple[str, tuple, str]:
        statement = self._statements.get(self.key)
        if statement is None:
            queryset = self.queryset
            count = RawSQL(*count_statement(queryset), output_field=BigIntegerField())
            rows = queryset.values_list(*self.columns, count)
            statement = (*rows.query.sql_with_params(), queryset.db)
            if len(self._statements) >= self.MAX_STATEMENTS:
                self._statements.clear()
            self._statements[self.key] = statement
        return statement
