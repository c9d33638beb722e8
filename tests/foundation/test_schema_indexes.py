"""The schema keeps no index another one already serves.

Every insert, and every update that is not HOT, writes into all of a
table's indexes: an index whose columns lead another index of the same
table costs every write and serves no read the other does not. (Django
adds one per foreign key unless told otherwise.)
"""

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

# Each plain btree index of our tables, with its columns in order, whether it
# is unique and whether it is partial or on an expression.
_INDEXES = """
    SELECT t.relname, i.relname, x.indisunique,
           x.indpred IS NOT NULL OR x.indexprs IS NOT NULL,
           ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                 ORDER BY k.n)
    FROM pg_index x
    JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_class i ON i.oid = x.indexrelid
    JOIN pg_am am ON am.oid = i.relam
    JOIN pg_namespace ns ON ns.oid = t.relnamespace
    WHERE ns.nspname = 'public' AND am.amname = 'btree'
    AND NOT x.indisprimary
"""


def _our_tables() -> set[str]:
    """The tables of the project's own models: Django's and DRF's apps, and
    the through tables Django makes for a many-to-many, are as they ship."""
    return {
        model._meta.db_table
        for model in apps.get_models()
        if not model.__module__.startswith(("django.", "rest_framework."))
    }


def test_no_index_is_a_leading_part_of_another_on_its_table():
    with connection.cursor() as cursor:
        cursor.execute(_INDEXES)
        indexes = cursor.fetchall()
    ours = _our_tables()
    by_table: dict[str, list] = {}
    for table, *index in indexes:
        if table in ours:
            by_table.setdefault(table, []).append(index)

    redundant = [
        (table, name, f"served by {other}")
        for table, table_indexes in by_table.items()
        for name, unique, narrowed, columns in table_indexes
        if not unique and not narrowed
        for other, _, other_narrowed, other_columns in table_indexes
        if other != name
        and not other_narrowed
        and other_columns[: len(columns)] == columns
        # Django's LIKE index (varchar_pattern_ops) serves what its plain
        # twin cannot (LIKE 'abc%' on text): another operator class.
        and not (name.endswith("_like") or other.endswith("_like"))
    ]

    assert redundant == [], "\n".join(map(str, redundant))
