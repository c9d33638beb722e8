"""Helpers for the few reads and writes written out in SQL."""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Field


def fetch_rows(sql: str, params: Sequence, fields: Sequence[Field]) -> list[tuple]:
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
