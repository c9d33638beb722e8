"""Altering a table inside a transaction that has already written to it."""


def run_queued_key_checks(cursor) -> None:
    """Run the foreign-key checks Django defers to the commit, then defer
    again: PostgreSQL refuses to alter a table with checks still queued."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
