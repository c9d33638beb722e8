"""Database refusals turned into the domain's errors, each in one place."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Model, ProtectedError

from store_project.exceptions import InvalidInput, LockTimeout, ProtectedObjectError


@contextmanager
def unique_violations_as_invalid_input(
    constraints: dict[str, tuple[str, str]], *, savepoint: bool = True
) -> Iterator[None]:
    """Turn a unique-constraint violation into ``InvalidInput`` on its field.

    ``constraints`` maps a constraint name to ``(field, message)``. The block
    runs in a savepoint so the surrounding transaction stays usable. Checking
    first and inserting after would race; the database decides instead.
    ``savepoint=False`` is for a caller whose own atomic block the error
    leaves, so that it is rolled back whole anyway: it saves two round trips.
    """
    try:
        with transaction.atomic(savepoint=savepoint):
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

    Connections carry ``lock_timeout`` (``DB_LOCK_TIMEOUT_MS``, see
    ``database_config``), so a stuck lock fails fast instead of hanging the
    request. The API's error handler answers any such failure as a 503
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


def is_history_rewrite(exc: Exception) -> bool:
    """Whether ``exc`` is the database refusing to change append-only history
    (the ``audit_refuse_rewrite`` trigger)."""
    diag = getattr(exc.__cause__, "diag", None)
    return (
        isinstance(exc, IntegrityError)
        and getattr(exc.__cause__, "sqlstate", None) == "23001"  # restrict_violation
        and getattr(diag, "constraint_name", None) == "append_only_history"
    )


def delete_or_refuse(obj: Model, refusal: str) -> None:
    """Delete ``obj``, or refuse with ``refusal`` while protected rows refer to it.

    ``refusal`` tells the user what to do instead (deactivate, move, keep).
    """
    try:
        with transaction.atomic():
            obj.delete()
    except ProtectedError as exc:
        raise ProtectedObjectError(refusal) from exc
